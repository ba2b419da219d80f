with

source as (

    {{ loaded_source('tiktok_ads', 'ad_report') }}

),

renamed as (

    select
        stat_time_day as date_day,
        advertiser_id,
        advertiser_name,
        currency as currency_code,
        campaign_id,
        campaign_name,
        adgroup_id as ad_group_id,
        adgroup_name as ad_group_name,
        ad_id,
        ad_name,
        impressions,
        clicks,
        spend,
        conversion as conversions,
        conversion_value as conversions_value
    from source

)

select * from renamed
