{#- What a live build skips when the project has not changed since the build before it.

    `serve` keeps the parsed project between builds and passes `project_unchanged` when it
    did not parse again: the SQL is the same as the last build's, so
    * the incremental models' columns cannot have changed: `on_schema_change='fail'` would
      describe each fact's whole SELECT to compare (a quarter of a second on chDB), and
    * the KPI functions (macros/kpi_functions.sql) already have their definitions.
    The first build after a start or a parse, the admin refresh and `make transform` do both.
    Read at run time: a variable in the model's config is fixed when the project is parsed. -#}
{% macro incremental_validate_on_schema_change(on_schema_change, default='ignore') -%}
    {%- if var('project_unchanged', false) -%}
        {{ return('ignore') }}
    {%- endif -%}
    {{ return(dbt.incremental_validate_on_schema_change(on_schema_change, default)) }}
{%- endmacro %}
