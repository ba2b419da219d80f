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
        deleted_at,
        toBool(deleted_at is not null) as is_deleted,
        created_at,
        updated_at
    from source

)

select * from renamed
