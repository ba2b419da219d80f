{#-
  Incremental by event chain (an impression with its click and conversion). The pre-hooks
  (macros/ad_events.sql) find the chains whose rows are new, updated, loaded late or deleted
  in the source since the last build, comparing ids and versions in staging with those in
  this table, bucket by bucket, so that a small change reads little (or, given var
  ad_events_changed_since by the live refresh, taking the rows past those cursors). They
  then log the days those chains counted on (for fct_campaign_performance_daily) and delete
  the chains' rows, in those days' partitions only (a lightweight DELETE writes a patch part
  that masks them; it rewrites nothing), and the build appends the chains recomputed from
  staging. So a build writes the change, not the days it touches: rewriting a whole day cost
  0.9 s for a day of 600k events, deleting and appending 1,000 chains 0.06 s. The table keeps
  block numbers and offsets so that the DELETE writes a patch part, as an insert does.
  A changed attribution window needs `dbt build --full-refresh -s fct_ad_events+` (no row
  changes, so no increment would notice: the first pre-hook stops such a build), and so does
  a column change (a pre-hook applies on_schema_change='fail', which dbt-clickhouse
  does not check for appends). A full refresh writes every day partition in one insert:
  max_partitions_per_insert_block lifts ClickHouse's default limit of 100.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        partition_by='performance_date',
        order_by=['performance_date', 'campaign_id', 'channel_id', 'event_type', 'event_id'],
        on_schema_change='fail',
        query_settings={'max_partitions_per_insert_block': 0},
        settings={'enable_block_number_column': 1, 'enable_block_offset_column': 1},
        pre_hook=[
            "{{ assert_attribution_window_unchanged() }}",
            "{{ stage_changed_ad_event_buckets() }}",
            "{{ stage_changed_ad_event_chains() }}",
            "{{ assert_incremental_columns_unchanged() }}",
            "{{ log_rewritten_ad_event_days(days_of_changed_ad_event_chains()) }}",
            "{{ delete_changed_ad_event_chains() }}",
        ],
        post_hook=[
            "{{ log_rewritten_ad_event_days(days_of_this_builds_ad_events()) }}",
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

    changed_chains as (

        select impression_id from {{ ad_event_scratch_relation('changed_chains') }}

    ),

    -- the pre-hooks deleted these chains' rows: they are written again as they are now
    events_to_write as (

        select events.*
        from events
        where events.impression_id in (select changed_chains.impression_id from changed_chains)

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
        -- this build's time on every row it writes (macros/ad_events.sql logs their days)
        {{ ad_events_build_time() }} as transformed_at
    from events_to_write

)

select * from final
