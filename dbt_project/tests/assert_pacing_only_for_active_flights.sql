-- rpt_campaign_pacing holds exactly the active campaigns whose flight runs on its as-of day:
-- returns pacing rows for any other campaign, and running active flights it left out.

with

pacing as (

    select * from {{ ref('rpt_campaign_pacing') }}

),

campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

as_of as (

    -- the mart may be empty; then as-of is the day the mart would use
    select
        {{ pacing_as_of_date() }} as as_of_date

),

running_flights as (

    select campaigns.campaign_id as campaign_id
    from campaigns
    cross join as_of
    where
        campaigns.is_active
        and campaigns.start_date <= as_of.as_of_date
        and as_of.as_of_date <= campaigns.end_date

),

not_running as (

    select
        pacing.campaign_id as campaign_id,
        'paced but not an active running flight' as problem
    from pacing
    where pacing.campaign_id not in (select running_flights.campaign_id from running_flights)

),

missing as (

    select
        running_flights.campaign_id as campaign_id,
        'active running flight without pacing' as problem
    from running_flights
    where running_flights.campaign_id not in (select pacing.campaign_id from pacing)

)

select * from not_running
union all
select * from missing
