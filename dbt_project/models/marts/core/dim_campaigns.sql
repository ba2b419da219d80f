{{ config(order_by='campaign_id') }}

with

campaigns as (

    select * from {{ ref('stg_ad_platform__campaigns') }}

),

campaign_channels as (

    select * from {{ ref('stg_ad_platform__campaign_channels') }}

),

impressions as (

    select * from {{ ref('stg_ad_platform__impressions') }}

),

channel_counts as (

    select
        campaign_id,
        count() as channel_count
    from campaign_channels
    group by campaign_id

),

live_campaigns as (

    select
        campaign_id,
        advertiser_id,
        campaign_name,
        campaign_description,
        objective,
        campaign_status,
        bid_strategy,
        bid_amount,
        currency_code,
        start_date,
        end_date,
        toUInt32(dateDiff('day', start_date, end_date) + 1) as flight_days,
        total_budget,
        daily_budget,
        campaign_status = 'active' as is_active,
        false as is_deleted,
        created_at,
        updated_at
    from campaigns

),

deleted_campaigns as (

    -- deleted in the source (so removed from raw by dlt) but still referenced by events:
    -- kept as members without attributes so every fact row finds its campaign
    select distinct
        impressions.campaign_id as campaign_id,
        null as advertiser_id,
        null as campaign_name,
        null as campaign_description,
        null as objective,
        null as campaign_status,
        null as bid_strategy,
        null as bid_amount,
        null as currency_code,
        null as start_date,
        null as end_date,
        null as flight_days,
        null as total_budget,
        null as daily_budget,
        false as is_active,
        true as is_deleted,
        null as created_at,
        null as updated_at
    from impressions
    where impressions.campaign_id not in (select campaigns.campaign_id from campaigns)

),

unioned as (

    select * from live_campaigns
    union all
    select * from deleted_campaigns

),

final as (

    select
        unioned.campaign_id as campaign_id,
        unioned.advertiser_id as advertiser_id,
        unioned.campaign_name as campaign_name,
        unioned.campaign_description as campaign_description,
        toLowCardinality(unioned.objective) as objective,
        toLowCardinality(unioned.campaign_status) as campaign_status,
        toLowCardinality(unioned.bid_strategy) as bid_strategy,
        unioned.bid_amount as bid_amount,
        toLowCardinality(unioned.currency_code) as currency_code,
        unioned.start_date as start_date,
        unioned.end_date as end_date,
        unioned.flight_days as flight_days,
        unioned.total_budget as total_budget,
        unioned.daily_budget as daily_budget,
        coalesce(channel_counts.channel_count, 0) as channel_count,
        toBool(unioned.is_active) as is_active,
        unioned.is_deleted as is_deleted,
        unioned.created_at as created_at,
        unioned.updated_at as updated_at
    from unioned
    left join channel_counts on unioned.campaign_id = channel_counts.campaign_id

)

select * from final
