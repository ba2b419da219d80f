{#-
  fct_campaign_performance_daily's rows for the days live events land on (macros/
  campaign_performance.sql), from staging as it is now: a ClickHouse refreshable materialized
  view, re-run every few seconds and after every load of a live `serve`, so the API sees an
  event seconds after dlt loads it instead of after the next dbt build. Built only with live
  marts on (CA_LIVE_MARTS=true; `serve` turns them on when it refreshes): a build that
  publishes then reads these days here and the days before them from the build
  (macros/publish_live.sql).
  A refresh replaces the whole table (an insert-triggered view would count a corrected or
  deleted event twice on the raw ReplacingMergeTree tables), so it reads the hot window
  only: events that count on yesterday or today (UTC). Its conversions are attributed to
  clicks of any day, as in the daily fact.
  A MergeTree: a refresh writes each day, campaign and channel once (the state columns
  keep the daily fact's types, so both read alike).
  catchup=False: the refresh fills the table (with catch-up, dbt's own insert races the
  view's first refresh: dbt-clickhouse #724).
-#}
{{
    config(
        materialized='materialized_view',
        enabled=env_var('CA_LIVE_MARTS', 'false') == 'true',
        refreshable={'interval': 'EVERY 5 SECOND'},
        catchup=False,
        engine='MergeTree()',
        order_by=['date_day', 'campaign_id', 'channel_id'],
        meta={'completes': 'fct_campaign_performance_daily', 'day_column': 'date_day'},
    )
}}

with

events as (

    select * from {{ ref('int_ad_events_unioned') }}

),

hot_events as (

    -- conversions outside the attribution window count nowhere
    select
        *,
        now64(6, 'UTC') as transformed_at
    from events
    where is_attributed and performance_date >= {{ live_window_start() }}

),

day_rows as (

    {{ campaign_performance_day_rows('hot_events', 'transformed_at') | indent(4) }}

),

final as (

    select
        *,
        -- the first day this table holds: a published build reads the days before it there
        {{ live_window_start() }} as live_from
    from day_rows

)

select * from final
