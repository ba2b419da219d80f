with

source as (

    select * from {{ source('ad_platform', 'campaign_channels') }}

),

renamed as (

    select
        id as campaign_channel_id,
        campaign_id,
        channel_id,
        deleted_at,
        toBool(deleted_at is not null) as is_deleted,
        created_at,
        updated_at
    from source

)

select * from renamed
