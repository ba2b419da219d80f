{#- chDB has no users, roles or access control: `grants:` cannot be applied. A project that
    runs on both a server and the embedded target keeps its grants; here they are skipped
    with one warning per invocation (dbt-clickhouse would fail on `system.grants`). -#}
{% macro chdb__apply_grants(relation, grant_config, should_revoke=True) %}
  {%- if grant_config -%}
    {%- do adapter.warn_grants_ignored(relation) -%}
  {%- endif -%}
{% endmacro %}
