{#- A live build's incremental models skip the schema-change check when the build says so.

    `on_schema_change='fail'` makes every incremental run describe its whole SELECT (a quarter
    of a second for the two facts on chDB) to compare its columns with the table's. A live
    build (`serve`) that reuses the parsed project runs the same SQL as the build before it,
    so it passes `skip_schema_checks` and the check runs only where something may have
    changed: the first build after a start or a parse, the admin refresh, `make transform`.
    Read at run time: a variable in the model's config is fixed when the project is parsed. -#}
{% macro incremental_validate_on_schema_change(on_schema_change, default='ignore') -%}
    {%- if var('skip_schema_checks', false) -%}
        {{ return('ignore') }}
    {%- endif -%}
    {{ return(dbt.incremental_validate_on_schema_change(on_schema_change, default)) }}
{%- endmacro %}
