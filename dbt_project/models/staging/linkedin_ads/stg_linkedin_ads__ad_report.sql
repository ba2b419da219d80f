with

source as (

    {{ loaded_source('linkedin_ads', 'ad_report') }}

),

renamed as (

    select
        date as date_day,
        account_id,
        campaign_group_id,
        campaign_id,
        creative_id,
        impressions,
        clicks,
        cost_in_usd,
        cost_in_local_currency,
        external_website_conversions,
        one_click_leads,
        -- LinkedIn's default conversions (Fivetran's linkedin_ads__conversion_fields)
        external_website_conversions + one_click_leads as total_conversions,
        conversion_value_in_local_currency
    from source

)

select * from renamed
