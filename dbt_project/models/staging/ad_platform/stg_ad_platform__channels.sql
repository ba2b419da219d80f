with

source as (

    select * from {{ source('ad_platform', 'channels') }}

),

renamed as (

    select
        id as channel_id,
        toLowCardinality(name) as channel_name,
        deleted_at,
        toBool(deleted_at is not null) as is_deleted,
        created_at,
        updated_at
    from source

)

select * from renamed
