{#-
  dbt-clickhouse's insert_overwrite replaces only the partitions a build writes, so a day
  that should now hold no rows (every event of it deleted or moved) would keep its old rows.
  Run as a post-hook: `partitions_sql` selects, as text, the partition values of
  `relation` that are out of date; they are dropped in one ALTER (nothing when none is).
-#}
{% macro drop_partitions(relation, partitions_sql) -%}
    {%- set partitions = [] -%}
    {%- if execute -%}
        {%- set partitions = run_query(partitions_sql).rows | map(attribute=0) | list -%}
    {%- endif -%}
    {%- if partitions -%}
        alter table {{ relation }}
        {%- for partition in partitions %}
            drop partition {{ "'" ~ partition ~ "'" }}{{ "," if not loop.last }}
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}
