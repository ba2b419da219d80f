{{ config(order_by='channel_id') }}

with

channels as (

    select * from {{ ref('stg_ad_platform__channels') }}

),

final as (

    -- soft-deleted channels stay, flagged, with their name: their events keep counting
    select
        channel_id,
        channel_name,
        is_deleted,
        deleted_at,
        created_at,
        updated_at
    from channels

)

select * from final
