{{ config(order_by=['date_day', 'campaign_id', 'channel_id']) }}

with

campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

advertisers as (

    select * from {{ ref('dim_advertisers') }}

),

channels as (

    select * from {{ ref('dim_channels') }}

),

performance as (

    select * from {{ ref('fct_campaign_performance_daily') }}

),

daily_totals as (

    select
        date_day,
        campaign_id,
        channel_id,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        sum(spend) as spend,
        sum(revenue) as revenue
    from performance
    group by date_day, campaign_id, channel_id

),

joined as (

    -- the dims hold every entity the facts use, soft-deleted ones included (a relationships
    -- test on each fact key proves it), so the inner joins drop nothing
    select
        daily_totals.date_day as date_day,
        daily_totals.campaign_id as campaign_id,
        campaigns.campaign_name as campaign_name,
        campaigns.advertiser_id as advertiser_id,
        advertisers.advertiser_name as advertiser_name,
        daily_totals.channel_id as channel_id,
        channels.channel_name as channel_name,
        daily_totals.impressions as impressions,
        daily_totals.clicks as clicks,
        daily_totals.conversions as conversions,
        daily_totals.spend as spend,
        daily_totals.revenue as revenue
    from daily_totals
    inner join campaigns on daily_totals.campaign_id = campaigns.campaign_id
    inner join channels on daily_totals.channel_id = channels.channel_id
    inner join advertisers on campaigns.advertiser_id = advertisers.advertiser_id

),

final as (

    select
        *,
        {{ ctr('clicks', 'impressions') }} as ctr,
        {{ cvr('conversions', 'clicks') }} as cvr,
        {{ cpc('spend', 'clicks') }} as cpc,
        {{ cpm('spend', 'impressions') }} as cpm,
        {{ cpa('spend', 'conversions') }} as cpa,
        {{ roas('revenue', 'spend') }} as roas
    from joined

)

select * from final
