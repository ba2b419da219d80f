{#-
  Change detection for the incremental build of fct_ad_events, run as its pre-hooks.

  The raw event tables keep no change log: a row may be new, updated (its updated_at moves),
  loaded late, or hard-deleted (the loader removes it from raw and leaves nothing behind).
  So a build compares the ids and versions staging has now with those the fact holds, in two
  steps, each materialized once in a scratch table next to the model:

  1. `<model>__changed_buckets`: ids fall in buckets of ad_event_id_bucket_size(); a bucket
     changed when its row count, sum of ids or sum of updated_at differ between staging and
     the fact (an update only moves updated_at forward, so the sums cannot cancel out).
     This reads two narrow columns of each side once.
  2. `<model>__changed_chains`: in the changed buckets only (staging reads them through the
     raw tables' primary key), the rows that are new, updated or gone, named by the
     impression their chain (impression, click, conversion) belongs to.

  The later pre-hooks log the days those chains count on (ad_event_days_log) and delete
  their rows; the model appends them as they are now; its post-hooks log the days written
  and drop both scratch tables.

  A caller that knows what was loaded since the last successful build (the live refresh in
  `serve`, which keeps dlt's pipeline open) passes var `ad_events_changed_since`: each event
  table's cursor (updated_at) at that build. Every new version of an event has a newer
  updated_at (dlt reads rows past the cursor, below the commit horizon), so the changed ids
  are the raw rows past those cursors, and step 1's comparison of every id is skipped: the
  cost follows the change, not the table. Hard deletes leave no row behind: the caller also
  passes the ids its reconciliation removed (var `ad_events_deleted`), or leaves both vars
  out to take the comparison again, as `dbt build` from the command line does.
-#}

{% macro ad_event_id_bucket_size() -%}
    65536
{%- endmacro %}

{% macro ad_event_scratch_relation(suffix) -%}
    {{ return(this.incorporate(path={"identifier": this.identifier ~ "__" ~ suffix})) }}
{%- endmacro %}

{#- One time for every row a build writes: dbt's invocation start, so the post-hook can tell
    this build's rows from older ones. -#}
{% macro ad_events_build_time() -%}
    parseDateTime64BestEffort('{{ run_started_at }}', 6, 'UTC')
{%- endmacro %}

{#- SYNC: an Atomic database otherwise keeps a dropped table for 8 minutes, and a live
    `serve` drops these every few seconds. -#}
{% macro drop_ad_event_scratch_relation(suffix) -%}
    drop table if exists {{ ad_event_scratch_relation(suffix) }} sync
{%- endmacro %}

{#- (event_type, event_id, updated_at, impression_id) of every event in staging, or only of
    those in the changed buckets. -#}
{% macro ad_event_versions_in_staging(in_changed_buckets=false) -%}
    {%- set buckets = ad_event_scratch_relation('changed_buckets') -%}
    {%- set size = ad_event_id_bucket_size() -%}
    select
        'impression' as event_type,
        impression_id as event_id,
        updated_at,
        impression_id
    from {{ ref('stg_ad_platform__impressions') }}
    {%- if in_changed_buckets %}
    where intDiv(impression_id, {{ size }}) in (
        select bucket from {{ buckets }} where event_type = 'impression'
    )
    {%- endif %}
    union all
    select
        'click' as event_type,
        click_id as event_id,
        updated_at,
        impression_id
    from {{ ref('stg_ad_platform__clicks') }}
    {%- if in_changed_buckets %}
    where intDiv(click_id, {{ size }}) in (
        select bucket from {{ buckets }} where event_type = 'click'
    )
    {%- endif %}
    union all
    select
        'conversion' as event_type,
        conversions.conversion_id as event_id,
        conversions.updated_at as updated_at,
        clicks.impression_id as impression_id
    from {{ ref('stg_ad_platform__conversions') }} as conversions
    left join {{ ref('stg_ad_platform__clicks') }} as clicks
        on conversions.click_id = clicks.click_id
    {%- if in_changed_buckets %}
    where intDiv(conversions.conversion_id, {{ size }}) in (
        select bucket from {{ buckets }} where event_type = 'conversion'
    )
    {%- endif %}
{%- endmacro %}

{#- Var `ad_events_changed_since` ({table: updated_at}) when it names every event table, else
    none. -#}
{% macro ad_events_changed_since() -%}
    {%- set since = var('ad_events_changed_since', none) -%}
    {%- set tables = ['impressions', 'clicks', 'conversions'] -%}
    {%- if since and tables | select('in', since) | list | length == 3 -%}
        {%- if since.values() | select | list | length == since | length -%}
            {{ return(since) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{#- ids of `table` (a source table) with a version newer than `since`, and those the
    reconciliation hard-deleted since the last build (var `ad_events_deleted`, passed by
    `serve`): gone from raw, their chains are found in the fact -#}
{% macro ad_event_ids_since(table, since) -%}
    {%- set deleted = var('ad_events_deleted', {}).get(table, []) %}
    select id from {{ source('ad_platform', table) }}
    where updated_at > parseDateTime64BestEffort('{{ since }}', 6, 'UTC')
    {%- if deleted %}
    union all
    select toInt64(arrayJoin([{{ deleted | map('int') | join(', ') }}])) as id
    {%- endif %}
{%- endmacro %}

{% macro stage_changed_ad_event_buckets() -%}
    {%- if not is_incremental() or ad_events_changed_since() -%}
        {{ drop_ad_event_scratch_relation('changed_buckets') }}
    {%- else -%}
        create or replace table {{ ad_event_scratch_relation('changed_buckets') }}
        engine = MergeTree
        order by (event_type, bucket)
        as
        with

        staged as (

            select
                event_type,
                intDiv(event_id, {{ ad_event_id_bucket_size() }}) as bucket,
                count() as event_count,
                sum(event_id) as id_sum,
                sum(toUnixTimestamp64Micro(updated_at)) as version_sum
            from ({{ ad_event_versions_in_staging() }}) as versions
            group by event_type, bucket

        ),

        built as (

            select
                toString(event_type) as event_type,
                intDiv(event_id, {{ ad_event_id_bucket_size() }}) as bucket,
                count() as event_count,
                sum(event_id) as id_sum,
                sum(toUnixTimestamp64Micro(updated_at)) as version_sum
            from {{ this }}
            group by event_type, bucket

        )

        -- a bucket on one side only comes out of the join with zeros on the other
        select
            if(staged.event_count > 0, staged.event_type, built.event_type) as event_type,
            if(staged.event_count > 0, staged.bucket, built.bucket) as bucket
        from staged
        full outer join built
            on staged.event_type = built.event_type and staged.bucket = built.bucket
        where
            staged.event_count != built.event_count
            or staged.id_sum != built.id_sum
            or staged.version_sum != built.version_sum
        settings join_use_nulls = 0
    {%- endif -%}
{%- endmacro %}

{% macro stage_changed_ad_event_chains() -%}
    {%- if not is_incremental() -%}
        {#- a full build changes no chain: empty, for the post-hook -#}
        create or replace table {{ ad_event_scratch_relation('changed_chains') }}
        (impression_id Int64)
        engine = MergeTree
        order by impression_id
    {%- elif ad_events_changed_since() -%}
        {{ changed_ad_event_chains_since(ad_events_changed_since()) }}
    {%- else -%}
        {%- set buckets = ad_event_scratch_relation('changed_buckets') -%}
        create or replace table {{ ad_event_scratch_relation('changed_chains') }}
        engine = MergeTree
        order by impression_id
        as
        with

        staged as (

            {{ ad_event_versions_in_staging(in_changed_buckets=true) }}

        ),

        built as (

            select
                toString(event_type) as event_type,
                event_id,
                updated_at,
                impression_id
            from {{ this }}
            where (toString(event_type), intDiv(event_id, {{ ad_event_id_bucket_size() }}))
                in (select event_type, bucket from {{ buckets }})

        )

        -- rows new, updated or gone on either side; a row whose impression changed names
        -- both chains (a missing side has zeros: join_use_nulls is off)
        select distinct
            arrayJoin(
                arrayFilter(id -> id != 0, [staged.impression_id, built.impression_id])
            ) as impression_id
        from staged
        full outer join built
            on staged.event_type = built.event_type and staged.event_id = built.event_id
        where
            staged.event_id = 0
            or built.event_id = 0
            or staged.updated_at != built.updated_at
            or staged.impression_id != built.impression_id
        settings join_use_nulls = 0
    {%- endif -%}
{%- endmacro %}

{#- The chains of the events with a version past `since` (step 1 skipped): each changed
    event's impression in staging now and in this table before (an event can move to another
    impression). Staging is read through the raw tables' primary key only. -#}
{% macro changed_ad_event_chains_since(since) -%}
    create or replace table {{ ad_event_scratch_relation('changed_chains') }}
    engine = MergeTree
    order by impression_id
    as
    with

    changed_impressions as ({{ ad_event_ids_since('impressions', since.impressions) }}),

    changed_clicks as ({{ ad_event_ids_since('clicks', since.clicks) }}),

    changed_conversions as ({{ ad_event_ids_since('conversions', since.conversions) }}),

    changed_conversion_clicks as (

        select click_id from {{ ref('stg_ad_platform__conversions') }}
        where conversion_id in (select changed_conversions.id from changed_conversions)

    ),

    staged as (

        select impression_id from {{ ref('stg_ad_platform__impressions') }}
        where impression_id in (select changed_impressions.id from changed_impressions)
        union all
        select impression_id from {{ ref('stg_ad_platform__clicks') }}
        where
            click_id in (select changed_clicks.id from changed_clicks)
            or click_id in (select changed_conversion_clicks.click_id from changed_conversion_clicks)

    ),

    built as (

        select impression_id from {{ this }}
        where
            (
                event_type = 'impression'
                and event_id in (select changed_impressions.id from changed_impressions)
            )
            or (
                event_type = 'click'
                and event_id in (select changed_clicks.id from changed_clicks)
            )
            or (
                event_type = 'conversion'
                and event_id in (select changed_conversions.id from changed_conversions)
            )

    )

    select distinct impression_id from staged
    union distinct
    select impression_id from built
{%- endmacro %}

{#- Where fct_ad_events logs the days each build changed, before (pre-hook, the days its
    changed chains counted on) and after (post-hook, the days of the rows it wrote):
    fct_campaign_performance_daily recomputes the days logged since its own last build. A
    day that only lost rows has no new row to say so, hence a log, not the rows' times. One
    row per day once merged (ReplacingMergeTree on the newest time), so it stays small. -#}
{% macro ad_event_days_log(fact=none) -%}
    {%- set fact = fact or this -%}
    {%- set log = fact.incorporate(path={"identifier": fact.identifier ~ "__rewritten_days"}) -%}
    {%- if execute -%}
        {%- do run_query(
            "create table if not exists " ~ log ~ " (performance_date Date32, "
            ~ "rewritten_at DateTime64(6, 'UTC')) engine = ReplacingMergeTree(rewritten_at) "
            ~ "order by performance_date"
        ) -%}
    {%- endif -%}
    {{ return(log) }}
{%- endmacro %}

{% macro log_rewritten_ad_event_days(days_sql) -%}
    {%- if days_sql | trim -%}
        insert into {{ ad_event_days_log() }} (performance_date, rewritten_at)
        select distinct performance_date, {{ ad_events_build_time() }}
        from ({{ days_sql }}) as days
    {%- endif -%}
{%- endmacro %}

{#- The days the changed chains count on in this table before the build changes them (an
    event can move to another day); nothing on a full build. -#}
{% macro days_of_changed_ad_event_chains() -%}
    {%- if is_incremental() -%}
        select performance_date from {{ this }}
        where impression_id in (
            select impression_id from {{ ad_event_scratch_relation('changed_chains') }}
        )
    {%- endif -%}
{%- endmacro %}

{% macro days_of_this_builds_ad_events() -%}
    select performance_date from {{ this }}
    where transformed_at = {{ ad_events_build_time() }}
{%- endmacro %}

{#- The changed chains' rows, in the partitions of the days just logged only; the build then
    appends the chains as they are now. In lightweight_update mode the DELETE writes a patch
    part (`_row_exists` = 0 for those rows), synchronously as an insert, which reads apply
    and merges fold in; the default mode is a mutation of every part, which ClickHouse's
    background pool schedules: 4-5 s on chDB for a table of 31 day partitions, against
    15 ms (measured). It needs the table's block number and offset columns
    (fct_ad_events' settings); a table built without them gets the mutation. -#}
{% macro delete_changed_ad_event_chains() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where
            performance_date in (
                select performance_date from {{ ad_event_days_log() }}
                where rewritten_at = {{ ad_events_build_time() }}
            )
            and impression_id in (
                select impression_id from {{ ad_event_scratch_relation('changed_chains') }}
            )
        settings lightweight_delete_mode = 'lightweight_update', lightweight_deletes_sync = 2
    {%- endif -%}
{%- endmacro %}

{#- on_schema_change for a model dbt-clickhouse appends to without checking it (strategy
    append without a unique_key), as its other strategies do; skipped like theirs when the
    project is unchanged (macros/unchanged_project.sql). -#}
{% macro assert_incremental_columns_unchanged() -%}
    {%- set on_change = incremental_validate_on_schema_change(
        config.get('on_schema_change'), 'ignore'
    ) -%}
    {%- if execute and is_incremental() and on_change != 'ignore' -%}
        {%- do adapter.check_incremental_schema_changes(
            on_change, this, sql, query_settings=config.get('query_settings', {})
        ) -%}
    {%- endif -%}
{%- endmacro %}

{#- The days fct_campaign_performance_daily holds that have no attributed event left in
    fct_ad_events (run from its post-hook). -#}
{% macro days_without_attributed_events() -%}
    select toString(built.date_day)
    from (select distinct date_day from {{ this }}) as built
    where built.date_day not in (
        select events.performance_date
        from {{ ref('fct_ad_events') }} as events
        where events.is_attributed
    )
{%- endmacro %}
