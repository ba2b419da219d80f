with

source as (

    {{ loaded_source('meta_ads', 'ad_report') }}

),

renamed as (

    select
        date_start as date_day,
        account_id,
        account_name,
        account_currency as currency_code,
        campaign_id,
        campaign_name,
        adset_id as ad_set_id,
        adset_name as ad_set_name,
        ad_id,
        ad_name,
        impressions,
        inline_link_clicks,
        clicks,
        spend,
        conversions,
        conversions_value
    from source

)

select * from renamed
