with

source as (

    {{ loaded_source('google_ads', 'ad_report') }}

),

renamed as (

    select
        segments_date as date_day,
        customer_id as account_id,
        customer_name as account_name,
        currency_code,
        campaign_id,
        campaign_name,
        ad_group_id,
        ad_group_name,
        ad_id,
        ad_name,
        impressions,
        clicks,
        cost_micros,
        -- exact: micros are the currency unit's sixth decimal
        toDecimal64(cost_micros, 6) / 1000000 as spend,
        conversions,
        conversions_value
    from source

)

select * from renamed
