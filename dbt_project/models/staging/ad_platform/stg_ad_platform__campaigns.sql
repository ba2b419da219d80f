with

source as (

    select * from {{ source('ad_platform', 'campaigns') }}

),

renamed as (

    select
        id as campaign_id,
        advertiser_id,
        name as campaign_name,
        description as campaign_description,
        toLowCardinality(objective) as objective,
        toLowCardinality(status) as campaign_status,
        start_date,
        end_date,
        toDecimal64(total_budget, 2) as total_budget,
        toDecimal64(daily_budget, 2) as daily_budget,
        toLowCardinality(bid_strategy) as bid_strategy,
        toDecimal64(bid_amount, 4) as bid_amount,
        toLowCardinality(currency) as currency_code,
        deleted_at,
        toBool(deleted_at is not null) as is_deleted,
        created_at,
        updated_at
    from source

)

select * from renamed
