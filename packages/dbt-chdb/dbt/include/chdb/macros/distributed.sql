{#- Distributed tables need a ClickHouse cluster (`cluster:` in a server profile); chDB is one
    embedded engine. Stop before any DDL with the fix instead of a failing statement. -#}
{% macro chdb__distributed_unsupported(materialization) %}
  {{ exceptions.raise_compiler_error(
      "materialized='" ~ materialization ~ "' needs a ClickHouse cluster, and the chdb target is "
      ~ "one embedded engine: build " ~ this ~ " on a `type: clickhouse` target with `cluster:` "
      ~ "set, or use materialized='table' or 'incremental' on chdb"
  ) }}
{% endmacro %}

{% materialization distributed_table, adapter='chdb' %}
  {{ chdb__distributed_unsupported('distributed_table') }}
{% endmaterialization %}

{% materialization distributed_incremental, adapter='chdb' %}
  {{ chdb__distributed_unsupported('distributed_incremental') }}
{% endmaterialization %}
