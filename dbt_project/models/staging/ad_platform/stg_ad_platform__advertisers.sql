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
        deleted_at,
        toBool(deleted_at is not null) as is_deleted,
        created_at,
        updated_at
    from source

)

select * from renamed
