with

source as (

    select * from {{ source('ad_platform', 'audiences') }}

),

renamed as (

    select
        id as audience_id,
        name as audience_name,
        toUInt8(age_min) as age_min,
        toUInt8(age_max) as age_max,
        toLowCardinality(gender) as gender,
        toLowCardinality(interest) as interest,
        created_at,
        updated_at
    from source
    -- dlt already removes soft-deleted rows; the filter keeps staging right if that changes
    where deleted_at is null

)

select * from renamed
