{#-
  Live marts in a published build (publish_build.sql): when a build has a live model (a
  refreshable materialized view whose meta names the public table it `completes`, e.g.
  fct_campaign_performance_live for fct_campaign_performance_daily), the build database holds
  that table's clone as `<table>__history` and `<table>` is a view: the clone's days before
  the live model's first day, then the live model's days, read where it is refreshed. Every
  published view over the table (the KPI marts) then reads today as of the last refresh, and
  the days before as of the build. The live model's `day_column` splits them.
-#}

{#- The live models, by the name of the public table each completes (enabled ones only:
    live marts are on in this build). -#}
{% macro live_parts() -%}
    {%- set parts = {} -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.package_name == project_name
        and node.config.materialized == 'materialized_view'
        and (node.config.meta or {}).get('completes') -%}
        {%- do parts.update({node.config.meta.completes: node}) -%}
    {%- endfor -%}
    {{ return(parts) }}
{%- endmacro %}

{% macro live_history_name(name) -%}
    {{ return(name ~ '__history') }}
{%- endmacro %}

{#- `<database>.<table>`: the history clone's days before the live model's first day (the
    one its last refresh wrote; yesterday when it holds no row), then the live model's. -#}
{% macro publish_live_view(database, table, live) -%}
    {%- set day = adapter.quote(live.config.meta.day_column) -%}
    {%- set history = adapter.quote(database) ~ '.' ~ adapter.quote(live_history_name(table)) -%}
    {%- set first_day = "(select coalesce(minOrNull(live_from), " ~ live_window_start()
        ~ ") from " ~ working_relation(live) ~ ")" -%}
    {% do run_query(
        "create or replace view " ~ adapter.quote(database) ~ "." ~ adapter.quote(table)
        ~ " as select * from " ~ history ~ " where " ~ day ~ " < " ~ first_day
        ~ " union all select * except (live_from) from " ~ working_relation(live)
        ~ " where " ~ day ~ " >= " ~ first_day
    ) %}
{%- endmacro %}

{#- Refresh the live model now and wait for it: a build that (re)created it publishes it
    with what staging holds now (the schedule alone may not have run yet). -#}
{% macro refresh_live(live) -%}
    {%- set view = adapter.quote(live.schema) ~ '.' ~ adapter.quote(live.alias ~ '_mv') -%}
    {% do run_query("system refresh view " ~ view) %}
    {% do run_query("system wait view " ~ view) %}
{%- endmacro %}
