{#- As dbt_date.day_name: one macro, an implementation per adapter, chosen by dispatch. -#}
{% macro day_name(date) -%}
  {{ return(adapter.dispatch('day_name', 'clickhouse_aware')(date)) }}
{%- endmacro %}

{% macro default__day_name(date) -%}
  to_char({{ date }}, 'Dy')
{%- endmacro %}

{% macro clickhouse__day_name(date) -%}
  substring(dateName('weekday', {{ date }}), 1, 3)
{%- endmacro %}
