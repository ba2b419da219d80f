with

source as (

    select * from {{ source('ad_platform', 'campaign_channels') }}

),

renamed as (

    select
        id as campaign_channel_id,
        campaign_id,
        channel_id,
        created_at,
        updated_at
    from source
    -- dlt already removes soft-deleted rows; the filter keeps staging right if that changes
    where deleted_at is null

)

select * from renamed
