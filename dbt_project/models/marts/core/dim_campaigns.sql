{{ config(order_by='campaign_id') }}

with

campaigns as (

    select * from {{ ref('stg_ad_platform__campaigns') }}

),

campaign_channels as (

    select * from {{ ref('stg_ad_platform__campaign_channels') }}

),

channel_counts as (

    select
        campaign_id,
        countIf(not is_deleted) as channel_count
    from campaign_channels
    group by campaign_id

),

final as (

    -- soft-deleted campaigns stay, flagged, with their name, flight and advertiser: their
    -- events keep counting for that advertiser
    select
        campaigns.campaign_id as campaign_id,
        campaigns.advertiser_id as advertiser_id,
        campaigns.campaign_name as campaign_name,
        campaigns.campaign_description as campaign_description,
        campaigns.objective as objective,
        campaigns.campaign_status as campaign_status,
        campaigns.bid_strategy as bid_strategy,
        campaigns.bid_amount as bid_amount,
        campaigns.currency_code as currency_code,
        campaigns.start_date as start_date,
        campaigns.end_date as end_date,
        toUInt32(dateDiff('day', campaigns.start_date, campaigns.end_date) + 1) as flight_days,
        campaigns.total_budget as total_budget,
        campaigns.daily_budget as daily_budget,
        -- a campaign without live links runs on 0 channels, whatever join_use_nulls says
        coalesce(channel_counts.channel_count, 0) as channel_count,
        -- a deleted campaign is not running, whatever status it was deleted with
        toBool(campaigns.campaign_status = 'active' and not campaigns.is_deleted) as is_active,
        campaigns.is_deleted as is_deleted,
        campaigns.deleted_at as deleted_at,
        campaigns.created_at as created_at,
        campaigns.updated_at as updated_at
    from campaigns
    left join channel_counts on campaigns.campaign_id = channel_counts.campaign_id

)

select * from final
