with

source as (

    select * from {{ source('ad_platform', 'channels') }}

),

renamed as (

    select
        id as channel_id,
        toLowCardinality(name) as channel_name,
        created_at,
        updated_at
    from source
    -- dlt already removes soft-deleted rows; the filter keeps staging right if that changes
    where deleted_at is null

)

select * from renamed
