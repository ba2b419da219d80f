{#-
  The raw table of an ad-platform API source, or an empty relation with its documented
  columns (the `data_type`s of the source's yml) while the platform has never been loaded:
  a project without ad-platform credentials builds, with no rows for that platform.
  The source() call always runs, so lineage and the docs show the source either way.
-#}
{% macro loaded_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set exists = not execute or load_relation(relation) is not none -%}
    {%- if exists %}
    select * from {{ relation }}
    {%- else -%}
        {%- set key = 'source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name -%}
        {%- set structure = [] -%}
        {%- for column in graph.sources[key].columns.values() -%}
            {%- do structure.append(column.name ~ ' ' ~ column.data_type) -%}
        {%- endfor %}
    select * from null('{{ structure | join(", ") }}')
    {%- endif -%}
{%- endmacro %}

{#-
  The columns of one platform's branch of the unified ad report: dbt_ad_reporting's names,
  in its order, cast to the report's types (days as Date32). `fields` maps a unified column to the platform's
  expression where the names differ (none: NULL, the platform has no such field); every
  other column is read under its own name.
-#}
{% macro ad_report_columns(source_relation, platform, fields={}) -%}
    {%- set types = {
        'account_id': 'Nullable(String)',
        'account_name': 'Nullable(String)',
        'campaign_id': 'Nullable(String)',
        'campaign_name': 'Nullable(String)',
        'ad_group_id': 'Nullable(String)',
        'ad_group_name': 'Nullable(String)',
        'ad_id': 'Nullable(String)',
        'ad_name': 'Nullable(String)',
        'clicks': 'Int64',
        'impressions': 'Int64',
        'spend': 'Decimal(18, 6)',
        'conversions': 'Float64',
        'conversions_value': 'Decimal(18, 6)',
    } -%}
    toLowCardinality('{{ source_relation }}') as source_relation,
    -- Date32 like the first-party facts' days (Date stops in 2149)
    toDate32(date_day) as date_day,
    toLowCardinality('{{ platform }}') as platform,
    {%- for column, type in types.items() %}
        {%- set expression = fields.get(column, column) %}
    cast({{ 'null' if expression is none else expression }} as {{ type }}) as {{ column }}
        {{- ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
