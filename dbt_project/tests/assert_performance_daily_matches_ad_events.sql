-- fct_campaign_performance_daily aggregates fct_ad_events without loss, day by day (so an
-- increment that missed a day shows up too), reach included. Returns the days that differ.

with

events as (

    select * from {{ ref('fct_ad_events') }}

),

performance as (

    select * from {{ ref('fct_campaign_performance_daily') }}

),

event_days as (

    select
        performance_date as date_day,
        countIf(event_type = 'impression') as impressions,
        countIf(event_type = 'click') as clicks,
        countIf(event_type = 'conversion' and is_attributed) as conversions,
        sum(cost) as spend,
        sumIf(revenue, event_type = 'conversion' and is_attributed) as revenue,
        uniqExactIf(user_id, event_type = 'impression') as reach
    from events
    group by performance_date

),

performance_days as (

    select
        date_day,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        sum(spend) as spend,
        sum(revenue) as revenue,
        uniqExactMerge(reached_users_state) as reach
    from performance
    group by date_day

),

compared as (

    select
        event_days.date_day as date_day,
        event_days.impressions as event_impressions,
        performance_days.impressions as mart_impressions,
        event_days.clicks as event_clicks,
        performance_days.clicks as mart_clicks,
        event_days.conversions as event_conversions,
        performance_days.conversions as mart_conversions,
        event_days.spend as event_spend,
        performance_days.spend as mart_spend,
        event_days.revenue as event_revenue,
        performance_days.revenue as mart_revenue,
        event_days.reach as event_reach,
        performance_days.reach as mart_reach
    from event_days
    full outer join performance_days on event_days.date_day = performance_days.date_day

)

select *
from compared
where
    event_impressions != mart_impressions
    or event_clicks != mart_clicks
    or event_conversions != mart_conversions
    or event_spend != mart_spend
    or event_revenue != mart_revenue
    or event_reach != mart_reach
