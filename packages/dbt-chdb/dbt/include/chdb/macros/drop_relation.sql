{#- Two differences from dbt-clickhouse's drop:

    * it drops `schema.identifier`, which never matches the TEMPORARY tables its unit-test
      materialization creates (they live outside any database), so they pile up for the rest
      of the session: drop those by bare name;
    * without SYNC an Atomic database keeps a dropped table (its parts and memory) for
      `database_atomic_delay_before_drop_table_sec`, 8 minutes: every table rebuild leaves its
      old copy behind, and a process that builds every few seconds (`serve --refresh-every 2`)
      holds hundreds of them. The embedded engine has no other replica to wait for: drop at
      once. -#}
{% macro chdb__drop_relation(relation, obj_type='table') -%}
  {%- if relation.is_temporary -%}
    {% call statement('drop_relation', auto_begin=False) -%}
      drop temporary table if exists {{ adapter.quote(relation.identifier) }}
    {%- endcall %}
  {%- else -%}
    {% call statement('drop_relation', auto_begin=False) -%}
      drop {{ obj_type }} if exists {{ relation }} sync
    {%- endcall %}
  {%- endif -%}
{% endmacro %}
