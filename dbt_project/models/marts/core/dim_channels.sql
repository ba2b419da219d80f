{{ config(order_by='channel_id') }}

with

channels as (

    select * from {{ ref('stg_ad_platform__channels') }}

),

campaign_channels as (

    select * from {{ ref('stg_ad_platform__campaign_channels') }}

),

impressions as (

    select * from {{ ref('stg_ad_platform__impressions') }}

),

referenced_channels as (

    select channel_id from impressions
    union distinct
    select channel_id from campaign_channels

),

live_channels as (

    select
        channel_id,
        channel_name,
        false as is_deleted,
        created_at,
        updated_at
    from channels

),

deleted_channels as (

    -- deleted in the source (so removed from raw by dlt) but still referenced by events:
    -- kept as members without attributes so every fact row finds its channel
    select
        referenced_channels.channel_id as channel_id,
        null as channel_name,
        true as is_deleted,
        null as created_at,
        null as updated_at
    from referenced_channels
    where referenced_channels.channel_id not in (select channels.channel_id from channels)

),

unioned as (

    select * from live_channels
    union all
    select * from deleted_channels

),

final as (

    select
        channel_id,
        toLowCardinality(channel_name) as channel_name,
        is_deleted,
        created_at,
        updated_at
    from unioned

)

select * from final
