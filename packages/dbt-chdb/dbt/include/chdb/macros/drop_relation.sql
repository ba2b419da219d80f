{#- dbt-clickhouse drops `schema.identifier`, which never matches the TEMPORARY tables its
    unit-test materialization creates (they live outside any database), so they pile up
    for the rest of the session. Drop those by bare name. -#}
{% macro chdb__drop_relation(relation, obj_type='table') -%}
  {%- if relation.is_temporary -%}
    {% call statement('drop_relation', auto_begin=False) -%}
      drop temporary table if exists {{ adapter.quote(relation.identifier) }}
    {%- endcall %}
  {%- else -%}
    {{ clickhouse__drop_relation(relation, obj_type) }}
  {%- endif -%}
{% endmacro %}
