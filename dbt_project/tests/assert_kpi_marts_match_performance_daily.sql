-- Every KPI mart adds up to fct_campaign_performance_daily: no campaign, channel, day or
-- quarter lost or counted twice by a join. rpt_advertiser_ctr is compared with the campaigns
-- that have a known advertiser. Returns one row, with every total, when any differs.

with

performance as (

    select * from {{ ref('fct_campaign_performance_daily') }}

),

campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

campaign_ctr as (

    select * from {{ ref('rpt_campaign_ctr') }}

),

daily_ctr as (

    select * from {{ ref('rpt_daily_ctr') }}

),

advertiser_ctr as (

    select * from {{ ref('rpt_advertiser_ctr') }}

),

campaign_conversion_rate as (

    select * from {{ ref('rpt_campaign_conversion_rate') }}

),

channel_conversions as (

    select * from {{ ref('rpt_channel_conversions') }}

),

daily_performance as (

    select * from {{ ref('rpt_campaign_channel_daily_performance') }}

),

reach_frequency as (

    select * from {{ ref('rpt_campaign_reach_frequency') }}

),

quarterly as (

    select * from {{ ref('rpt_channel_performance_quarterly') }}

),

expected as (

    select
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        sum(spend) as spend,
        sum(revenue) as revenue
    from performance

),

expected_with_advertiser as (

    select
        sum(performance.impressions) as impressions,
        sum(performance.clicks) as clicks
    from performance
    inner join campaigns on performance.campaign_id = campaigns.campaign_id
    where campaigns.advertiser_id is not null

),

mart_totals as (

    select
        (select sum(campaign_ctr.impressions) from campaign_ctr) as campaign_ctr_impressions,
        (select sum(campaign_ctr.clicks) from campaign_ctr) as campaign_ctr_clicks,
        (select sum(daily_ctr.impressions) from daily_ctr) as daily_ctr_impressions,
        (select sum(daily_ctr.clicks) from daily_ctr) as daily_ctr_clicks,
        (select sum(advertiser_ctr.impressions) from advertiser_ctr) as advertiser_impressions,
        (select sum(advertiser_ctr.clicks) from advertiser_ctr) as advertiser_clicks,
        (
            select sum(campaign_conversion_rate.clicks) from campaign_conversion_rate
        ) as campaign_cvr_clicks,
        (
            select sum(campaign_conversion_rate.conversions) from campaign_conversion_rate
        ) as campaign_cvr_conversions,
        (
            select sum(channel_conversions.conversions) from channel_conversions
        ) as channel_conversions,
        (select sum(channel_conversions.revenue) from channel_conversions) as channel_revenue,
        (select sum(daily_performance.impressions) from daily_performance) as daily_impressions,
        (select sum(daily_performance.clicks) from daily_performance) as daily_clicks,
        (select sum(daily_performance.conversions) from daily_performance) as daily_conversions,
        (select sum(daily_performance.spend) from daily_performance) as daily_spend,
        (select sum(daily_performance.revenue) from daily_performance) as daily_revenue,
        (select sum(reach_frequency.impressions) from reach_frequency) as reach_impressions,
        (select sum(quarterly.impressions) from quarterly) as quarterly_impressions,
        (select sum(quarterly.clicks) from quarterly) as quarterly_clicks,
        (select sum(quarterly.conversions) from quarterly) as quarterly_conversions,
        (select sum(quarterly.spend) from quarterly) as quarterly_spend,
        (select sum(quarterly.revenue) from quarterly) as quarterly_revenue

),

compared as (

    select
        mart_totals.*,
        expected.impressions as expected_impressions,
        expected.clicks as expected_clicks,
        expected.conversions as expected_conversions,
        expected.spend as expected_spend,
        expected.revenue as expected_revenue,
        expected_with_advertiser.impressions as expected_advertiser_impressions,
        expected_with_advertiser.clicks as expected_advertiser_clicks
    from mart_totals
    cross join expected
    cross join expected_with_advertiser

)

select *
from compared
where
    campaign_ctr_impressions != expected_impressions
    or campaign_ctr_clicks != expected_clicks
    or daily_ctr_impressions != expected_impressions
    or daily_ctr_clicks != expected_clicks
    or advertiser_impressions != expected_advertiser_impressions
    or advertiser_clicks != expected_advertiser_clicks
    or campaign_cvr_clicks != expected_clicks
    or campaign_cvr_conversions != expected_conversions
    or channel_conversions != expected_conversions
    or channel_revenue != expected_revenue
    or daily_impressions != expected_impressions
    or daily_clicks != expected_clicks
    or daily_conversions != expected_conversions
    or daily_spend != expected_spend
    or daily_revenue != expected_revenue
    or reach_impressions != expected_impressions
    or quarterly_impressions != expected_impressions
    or quarterly_clicks != expected_clicks
    or quarterly_conversions != expected_conversions
    or quarterly_spend != expected_spend
    or quarterly_revenue != expected_revenue
