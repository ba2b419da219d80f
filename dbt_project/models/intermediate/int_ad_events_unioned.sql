with

impressions as (

    select * from {{ ref('stg_ad_platform__impressions') }}

),

clicks as (

    select * from {{ ref('stg_ad_platform__clicks') }}

),

conversions as (

    select * from {{ ref('int_conversions_attributed') }}

),

impression_events as (

    select
        toLowCardinality('impression') as event_type,
        impression_id as event_id,
        impression_id,
        cast(null as Nullable(Int64)) as click_id,
        campaign_id,
        channel_id,
        audience_id,
        user_id,
        served_at as event_at,
        toDate32(served_at) as performance_date,
        cost,
        toDecimal64(0, 2) as revenue,
        true as is_attributed,
        updated_at
    from impressions

),

click_events as (

    select
        toLowCardinality('click') as event_type,
        clicks.click_id as event_id,
        impressions.impression_id as impression_id,
        cast(clicks.click_id as Nullable(Int64)) as click_id,
        impressions.campaign_id as campaign_id,
        impressions.channel_id as channel_id,
        impressions.audience_id as audience_id,
        impressions.user_id as user_id,
        clicks.clicked_at as event_at,
        -- a click counts on its impression's day, so clicks never exceed impressions at any
        -- grain (a click can land after midnight)
        toDate32(impressions.served_at) as performance_date,
        clicks.cost as cost,
        toDecimal64(0, 2) as revenue,
        true as is_attributed,
        clicks.updated_at as updated_at
    from impressions
    inner join clicks on impressions.impression_id = clicks.impression_id

),

conversion_events as (

    select
        toLowCardinality('conversion') as event_type,
        conversion_id as event_id,
        impression_id,
        cast(click_id as Nullable(Int64)) as click_id,
        campaign_id,
        channel_id,
        audience_id,
        user_id,
        converted_at as event_at,
        conversion_date as performance_date,
        toDecimal64(0, 6) as cost,
        revenue,
        is_attributed,
        updated_at
    from conversions

),

unioned as (

    select * from impression_events
    union all
    select * from click_events
    union all
    select * from conversion_events

)

select * from unioned
