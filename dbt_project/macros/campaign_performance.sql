{#-
  The day rows of campaign performance, defined once: fct_campaign_performance_daily builds
  them from fct_ad_events for the days that changed, and fct_campaign_performance_live from
  staging for the days live events land on. Both tables have these columns in this order, so
  a published build can read the one's days before the other's (macros/publish_live.sql).
  `events` has fct_ad_events' columns; `transformed_at` is the watermark column's input.
-#}
{% macro campaign_performance_day_rows(events, transformed_at) -%}
    select
        performance_date as date_day,
        campaign_id,
        channel_id,
        sumSimpleState(event_type = 'impression') as impressions,
        sumSimpleState(event_type = 'click') as clicks,
        sumSimpleState(event_type = 'conversion') as conversions,
        -- impressions carry their CPM cost and clicks their CPC cost; conversions cost nothing
        sumSimpleState(cost) as spend,
        -- only conversions carry revenue
        sumSimpleState(revenue) as revenue,
        uniqExactStateIf(user_id, event_type = 'impression') as reached_users_state,
        maxSimpleState({{ transformed_at }}) as events_transformed_at
    from {{ events }}
    group by date_day, campaign_id, channel_id
{%- endmacro %}

{#- The first day fct_campaign_performance_live holds: yesterday (UTC), so an event that
    counts on the day before (a click after midnight counts on its impression's day) is
    live too. -#}
{% macro live_window_start() -%}
    toDate32(now('UTC')) - 1
{%- endmacro %}
