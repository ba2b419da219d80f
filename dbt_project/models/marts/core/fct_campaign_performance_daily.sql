{#-
  One row per day, campaign and channel with additive measures only, stored as
  SimpleAggregateFunction(sum) columns plus a uniqExact state of the users reached, in an
  AggregatingMergeTree: any coarser grain is sum() and uniqExactMerge() over these rows,
  without re-reading events. Incremental by day partition: it recomputes the days fct_ad_events
  logged as changed since this table's last build (macros/ad_events.sql), and a post-hook drops
  the days that no longer have an attributed event there (insert_overwrite writes only the
  partitions that have rows).
  A full refresh writes every day partition in one insert: max_partitions_per_insert_block
  lifts ClickHouse's default limit of 100.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='insert_overwrite',
        engine='AggregatingMergeTree()',
        partition_by='date_day',
        order_by=['date_day', 'campaign_id', 'channel_id'],
        on_schema_change='fail',
        query_settings={'max_partitions_per_insert_block': 0},
        post_hook=[
            "{{ drop_partitions(this, days_without_attributed_events()) }}",
        ],
    )
}}

with

events as (

    select * from {{ ref('fct_ad_events') }}

),

events_to_aggregate as (

    -- conversions outside the attribution window count nowhere
    select *
    from events
    where
        is_attributed
        {% if is_incremental() -%}
            and performance_date in (
                -- the days fct_ad_events changed since this table's last build
                select rewritten.performance_date
                from {{ ad_event_days_log(ref('fct_ad_events')) }} as rewritten
                where
                    rewritten.rewritten_at
                    > (select max(built.events_transformed_at) from {{ this }} as built)
            )
        {%- endif %}

),

final as (

    {{ campaign_performance_day_rows('events_to_aggregate', 'transformed_at') | indent(4) }}

)

select * from final
