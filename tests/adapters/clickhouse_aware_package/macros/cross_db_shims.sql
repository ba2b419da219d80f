{#- As dbt-project-evaluator's cross_db_shim: a ClickHouse version of a dbt macro, used when
    the project's dispatch config searches this package before dbt. -#}
{% macro clickhouse__type_string() -%}
  LowCardinality(String)
{%- endmacro %}
