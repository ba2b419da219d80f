with

source as (

    select * from {{ source('ad_platform', 'advertisers') }}

),

renamed as (

    select
        id as advertiser_id,
        name as advertiser_name,
        toLowCardinality(industry) as industry,
        toLowCardinality(country) as country_code,
        created_at,
        updated_at
    from source
    -- dlt already removes soft-deleted rows; the filter keeps staging right if that changes
    where deleted_at is null

)

select * from renamed
