{#-
  Incremental by day partition. The pre-hooks (macros/ad_events.sql) find the event chains
  (an impression with its click and conversion) whose rows are new, updated, loaded late
  or deleted in the source since the last build, comparing ids and versions in staging
  with those in this table, bucket by bucket, so that a small change reads little (or,
  given var ad_events_changed_since by the live refresh, taking the rows past those
  cursors). The build then rewrites only the days those chains touch, before and after the change: the
  changed chains recomputed from staging plus the other rows of those days copied from
  this table; insert_overwrite swaps in exactly those day partitions.
  A day that loses every one of its events is written by no insert, so a post-hook drops its
  partition (insert_overwrite replaces only the partitions it writes).
  A changed attribution window needs `dbt build --full-refresh -s fct_ad_events+` (no row
  changes, so no increment would notice: the first pre-hook stops such a build), and so does
  a column change (on_schema_change fail). A full refresh writes every day partition in one insert:
  max_partitions_per_insert_block lifts ClickHouse's default limit of 100.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='insert_overwrite',
        partition_by='performance_date',
        order_by=['performance_date', 'campaign_id', 'channel_id', 'event_type', 'event_id'],
        on_schema_change='fail',
        query_settings={'max_partitions_per_insert_block': 0},
        pre_hook=[
            "{{ assert_attribution_window_unchanged() }}",
            "{{ stage_changed_ad_event_buckets() }}",
            "{{ stage_changed_ad_event_chains() }}",
        ],
        post_hook=[
            "{{ drop_partitions(this, emptied_ad_event_days()) }}",
            "{{ drop_ad_event_scratch_relation('changed_chains') }}",
            "{{ drop_ad_event_scratch_relation('changed_buckets') }}",
        ],
    )
}}

-- the pre-hooks read staging:
-- depends_on: {{ ref('stg_ad_platform__impressions') }}
-- depends_on: {{ ref('stg_ad_platform__clicks') }}
-- depends_on: {{ ref('stg_ad_platform__conversions') }}

with

events as (

    select * from {{ ref('int_ad_events_unioned') }}

),

{% if is_incremental() %}

    existing as (

        select * from {{ this }}

    ),

    changed_chains as (

        select impression_id from {{ ad_event_scratch_relation('changed_chains') }}

    ),

    changed_events as (

        select events.*
        from events
        where events.impression_id in (select changed_chains.impression_id from changed_chains)

    ),

    changed_days as (

        select changed_events.performance_date from changed_events

        union distinct

        -- the days the changed chains counted on before the change (an event can move)
        select existing.performance_date
        from existing
        where existing.impression_id in (select changed_chains.impression_id from changed_chains)

    ),

    unchanged_events as (

        -- same columns, in the same order, as int_ad_events_unioned (union all is positional)
        select
            existing.event_type,
            existing.event_id,
            existing.impression_id,
            existing.click_id,
            existing.campaign_id,
            existing.channel_id,
            existing.audience_id,
            existing.user_id,
            existing.event_at,
            existing.performance_date,
            existing.cost,
            existing.revenue,
            existing.is_attributed,
            existing.updated_at
        from existing
        where
            existing.performance_date in (select changed_days.performance_date from changed_days)
            and existing.impression_id not in (
                select changed_chains.impression_id from changed_chains
            )

    ),

    events_to_write as (

        select * from changed_events
        union all
        select * from unchanged_events

    ),

{% else %}

    events_to_write as (

        select * from events

    ),

{% endif %}

final as (

    select
        event_type,
        event_id,
        impression_id,
        click_id,
        campaign_id,
        channel_id,
        audience_id,
        user_id,
        event_at,
        toDate32(event_at) as event_date,
        performance_date,
        cost,
        revenue,
        is_attributed,
        toUInt16({{ var('attribution_window_days') }}) as attribution_window_days,
        updated_at,
        -- every row of a rewritten day gets this build's time: fct_campaign_performance_daily
        -- recomputes the days that moved past its own watermark
        {{ ad_events_build_time() }} as transformed_at
    from events_to_write

)

select * from final
