-- No fan-out, no loss: fct_ad_events holds every staging event exactly once with the same
-- money. Returns the event types whose count, cost or revenue differ.

with

impressions as (

    select * from {{ ref('stg_ad_platform__impressions') }}

),

clicks as (

    select * from {{ ref('stg_ad_platform__clicks') }}

),

conversions as (

    select * from {{ ref('stg_ad_platform__conversions') }}

),

events as (

    select * from {{ ref('fct_ad_events') }}

),

staging_totals as (

    select
        'impression' as event_type,
        count() as event_count,
        sum(cost) as cost,
        toDecimal128(0, 2) as revenue
    from impressions

    union all

    select
        'click' as event_type,
        count() as event_count,
        sum(cost) as cost,
        toDecimal128(0, 2) as revenue
    from clicks

    union all

    select
        'conversion' as event_type,
        count() as event_count,
        toDecimal128(0, 6) as cost,
        sum(revenue) as revenue
    from conversions

),

mart_totals as (

    select
        toString(event_type) as event_type,
        count() as event_count,
        sum(cost) as cost,
        sum(revenue) as revenue
    from events
    group by event_type

),

compared as (

    select
        staging_totals.event_type as event_type,
        staging_totals.event_count as staging_count,
        mart_totals.event_count as mart_count,
        staging_totals.cost as staging_cost,
        mart_totals.cost as mart_cost,
        staging_totals.revenue as staging_revenue,
        mart_totals.revenue as mart_revenue
    from staging_totals
    left join mart_totals on staging_totals.event_type = mart_totals.event_type

)

select *
from compared
where
    staging_count != mart_count
    or staging_cost != mart_cost
    or staging_revenue != mart_revenue
