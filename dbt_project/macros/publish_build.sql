{#-
  Readers (the KPI report, the API, BI tools) see one consistent, complete build.

  `dbt build` rebuilds the models in the target schema one by one, and a failing test skips
  everything downstream of it, so mid-build or after a failure those tables mix new and old
  data. on-run-end therefore publishes a build only when it succeeded: every model with
  `access: public` (the marts readers use) is cloned into a fresh database
  `<schema>__build_<invocation id>` (CLONE AS hard-links the parts: no data is copied), and
  only then is a row added to `<schema>.dbt_builds` naming that database. Readers take the
  newest `published` row and query its database, so they never see a half-written build; the
  previous published database is kept for readers still on it, older ones are dropped.

  A build is published when no node failed, errored or was skipped, and no public model is
  older than a model this build rebuilt upstream of it (a `-s` selection that leaves part of
  the marts behind is not a consistent build). A build that cannot be published is recorded
  too (`failed` with the failing nodes, or `not_published` with the reason), so readers can
  warn that what they show is older than the last attempt.
-#}

{% macro builds_relation() -%}
    {{ return(api.Relation.create(schema=target.schema, identifier='dbt_builds')) }}
{%- endmacro %}

{% macro published_database_name() -%}
    {{ return(target.schema ~ '__build_' ~ invocation_id | replace('-', '')) }}
{%- endmacro %}

{% macro sql_string(value) -%}
    '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}

{% macro sql_strings(values) -%}
    [{% for value in values %}{{ sql_string(value) }}{{ ", " if not loop.last }}{% endfor %}]
{%- endmacro %}

{% macro ensure_builds_table() -%}
    {% do run_query(
        "create database if not exists " ~ adapter.quote(target.schema) ~ " engine = Atomic"
    ) %}
    {% do run_query(
        "create table if not exists " ~ builds_relation() ~ " (
            invocation_id String,
            status LowCardinality(String),
            published_database String,
            started_at DateTime64(3, 'UTC'),
            finished_at DateTime64(3, 'UTC'),
            target_name String,
            dbt_version String,
            models Array(String),
            problems Array(String)
        ) engine = MergeTree order by finished_at"
    ) %}
{%- endmacro %}

{% macro record_build(status, database, models, problems) -%}
    {% do run_query(
        "insert into " ~ builds_relation() ~ " values ("
        ~ sql_string(invocation_id) ~ ", " ~ sql_string(status) ~ ", " ~ sql_string(database)
        ~ ", parseDateTime64BestEffort(" ~ sql_string(run_started_at) ~ ", 3, 'UTC')"
        ~ ", now64(3, 'UTC'), " ~ sql_string(target.name) ~ ", " ~ sql_string(dbt_version)
        ~ ", " ~ sql_strings(models) ~ ", " ~ sql_strings(problems) ~ ")"
    ) %}
{%- endmacro %}

{#- unique ids of every node upstream of `node` (models, seeds, snapshots ...). The loop
    walks a list it appends to: Jinja's for iterates the list itself, so it sees them. -#}
{% macro upstream_ids(node) -%}
    {%- set seen = [] -%}
    {%- set queue = node.depends_on.nodes | list -%}
    {%- for unique_id in queue if unique_id not in seen -%}
        {%- do seen.append(unique_id) -%}
        {%- if unique_id in graph.nodes -%}
            {%- do queue.extend(graph.nodes[unique_id].depends_on.nodes) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(seen) }}
{%- endmacro %}

{% macro publish_build(results) -%}
    {%- if not execute or flags.WHICH != 'build' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set problems = [] -%}
    {%- set built = [] -%}
    {%- for result in results -%}
        {%- if result.status in ('error', 'fail', 'skipped', 'runtime error') -%}
            {%- do problems.append(result.node.name ~ ': ' ~ result.status) -%}
        {%- elif result.node.resource_type == 'model' and result.status == 'success' -%}
            {%- do built.append(result.node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set public = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.package_name == project_name
        and node.access == 'public' -%}
        {%- do public.append(node) -%}
    {%- endfor -%}
    {{ ensure_builds_table() }}

    {%- if problems -%}
        {{ record_build('failed', '', [], problems) }}
        {{ log(
            "dbt build failed: not published; readers keep the last published build",
            info=true
        ) }}
        {{ return('') }}
    {%- endif -%}
    {%- set published_before = run_query(
        "select count() from " ~ builds_relation() ~ " where status = 'published'"
    ).rows[0][0] -%}
    {%- if not built and published_before -%}
        {{ return('') }}  {#- nothing rebuilt: the published build is still current -#}
    {%- endif -%}

    {%- set relations = [] -%}
    {%- for node in public -%}
        {%- set relation = adapter.get_relation(
            database=node.database, schema=node.schema, identifier=node.alias
        ) -%}
        {%- if relation is none -%}
            {%- do problems.append(node.name ~ ': never built') -%}
        {%- elif node.unique_id not in built -%}
            {%- for upstream in upstream_ids(node) if upstream in built -%}
                {%- if loop.first -%}
                    {%- do problems.append(
                        node.name ~ ': not rebuilt after ' ~ graph.nodes[upstream].name
                    ) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
        {%- do relations.append([node.name, relation]) -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ record_build('not_published', '', [], problems) }}
        {{ log(
            "dbt build not published (" ~ problems | join('; ')
            ~ "); select the models downstream too (e.g. -s model+)",
            info=true
        ) }}
        {{ return('') }}
    {%- endif -%}

    {%- set database = published_database_name() -%}
    {% do run_query("drop database if exists " ~ adapter.quote(database) ~ " sync") %}
    {% do run_query("create database " ~ adapter.quote(database) ~ " engine = Atomic") %}
    {%- for name, relation in relations -%}
        {%- set target_relation = adapter.quote(database) ~ '.' ~ adapter.quote(name) -%}
        {%- if relation.type == 'table' -%}
            {% do run_query("create table " ~ target_relation ~ " clone as " ~ relation) %}
        {%- else -%}
            {#- a view reads the working tables: keep its rows as of now -#}
            {% do run_query(
                "create table " ~ target_relation ~ " engine = MergeTree order by tuple() as "
                ~ "select * from " ~ relation
            ) %}
        {%- endif -%}
    {%- endfor -%}
    {{ record_build('published', database, relations | map(attribute=0) | list, []) }}
    {{ log("published dbt build " ~ invocation_id ~ " as database " ~ database, info=true) }}
    {{ drop_unpublished_builds(keep=2) }}
{%- endmacro %}

{#- Drop snapshot databases other than the `keep` newest published ones (readers may still be
    on the previous one), including those a crashed publish left behind. -#}
{% macro drop_unpublished_builds(keep) -%}
    {%- set kept = run_query(
        "select published_database from " ~ builds_relation() ~ " where status = 'published'"
        ~ " order by finished_at desc limit " ~ keep
    ).columns[0].values() | list -%}
    {%- set snapshots = run_query(
        "select name from system.databases where startsWith(name, "
        ~ sql_string(target.schema ~ '__build_') ~ ")"
    ).columns[0].values() -%}
    {%- for name in snapshots if name not in kept -%}
        {% do run_query("drop database if exists " ~ adapter.quote(name) ~ " sync") %}
    {%- endfor -%}
{%- endmacro %}
