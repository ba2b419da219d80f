with

campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

performance as (

    select * from {{ ref('fct_campaign_performance_daily') }}

),

as_of as (

    select
        {{ pacing_as_of_date() }} as as_of_date

),

active_flights as (

    -- pacing means something only for a running flight of an active campaign (a deleted
    -- campaign is not active)
    select
        campaigns.campaign_id as campaign_id,
        campaigns.campaign_name as campaign_name,
        campaigns.advertiser_id as advertiser_id,
        campaigns.start_date as start_date,
        campaigns.end_date as end_date,
        as_of.as_of_date as as_of_date,
        campaigns.flight_days as flight_days,
        toUInt32(dateDiff('day', start_date, as_of_date) + 1) as elapsed_days,
        campaigns.total_budget as total_budget
    from campaigns
    cross join as_of
    where
        campaigns.is_active
        and campaigns.start_date <= as_of.as_of_date
        and as_of.as_of_date <= campaigns.end_date

),

flight_spend as (

    select
        active_flights.campaign_id as campaign_id,
        sum(performance.spend) as spend_to_date
    from performance
    inner join active_flights on performance.campaign_id = active_flights.campaign_id
    where performance.date_day between active_flights.start_date and active_flights.as_of_date
    group by active_flights.campaign_id

),

joined as (

    select
        active_flights.campaign_id as campaign_id,
        active_flights.campaign_name as campaign_name,
        active_flights.advertiser_id as advertiser_id,
        active_flights.start_date as start_date,
        active_flights.end_date as end_date,
        active_flights.as_of_date as as_of_date,
        active_flights.flight_days as flight_days,
        active_flights.elapsed_days as elapsed_days,
        active_flights.total_budget as total_budget,
        -- a flight without spend yet has spent 0, whatever join_use_nulls says
        coalesce(flight_spend.spend_to_date, toDecimal128(0, 6)) as spend_to_date
    from active_flights
    left join flight_spend on active_flights.campaign_id = flight_spend.campaign_id

),

pacing as (

    select
        *,
        toDecimal128(total_budget, 6) * elapsed_days / flight_days as expected_spend_to_date,
        spend_to_date * flight_days / elapsed_days as projected_end_spend,
        {{ pacing('spend_to_date', 'total_budget', 'elapsed_days', 'flight_days') }}
            as pacing_index
    from joined

),

final as (

    select
        *,
        toLowCardinality(multiIf(
            pacing_index is null, 'no_budget',
            pacing_index < 1 - {{ var('pacing_tolerance') }}, 'underpacing',
            pacing_index > 1 + {{ var('pacing_tolerance') }}, 'overpacing',
            'on_track'
        )) as pacing_status
    from pacing

)

select * from final
