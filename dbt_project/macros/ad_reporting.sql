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
