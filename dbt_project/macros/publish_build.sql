{#-
  Readers (the KPI report, the API, BI tools) see one consistent, complete build.

  `dbt build` rebuilds the models in the target schema one by one, and a failing test skips
  everything downstream of it, so mid-build or after a failure those tables mix new and old
  data. on-run-end therefore publishes a build only when it succeeded: every model with
  `access: public` (the marts readers use) is published into a fresh database
  `<schema>__build_<invocation id>`, and only then is a row added to `<schema>.dbt_builds`
  naming that database. Readers take the newest `published` row and query its database, so
  they never see a half-written build; the previous published database is kept for readers
  still on it, older ones are dropped.

  How a public model is published:
  * a table is cloned (CLONE AS hard-links the parts: no data is copied);
  * a view that reads only public models and tables (the KPI marts over the daily fact and
    the dims; a seed) becomes the same view over that database's clones, the tables it reads
    cloned beside it: it costs nothing per build, and what it reads cannot change under it;
  * any other view (one reading a source or a non-public view) is materialized, its rows as
    of now.

  A build is published when no node failed, errored or was skipped, and no public table is
  older than a model this build rebuilt upstream of it (a `-s` selection that leaves part of
  the marts behind is not a consistent build; a view is never stale). A build that cannot be
  published is recorded too (`failed` with the failing nodes, or `not_published` with the
  reason), so readers can warn that what they show is older than the last attempt.
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
    {#- engine and CREATE statement of every relation in the schemas the public models, their
        inputs and the builds table live in (one query: a live build publishes every few
        seconds, and each query costs dbt ~10 ms besides the engine's time) -#}
    {%- set candidates = public | list -%}
    {%- for node in public -%}
        {%- for unique_id in node.depends_on.nodes if unique_id in graph.nodes -%}
            {%- do candidates.append(graph.nodes[unique_id]) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set schemas = ([target.schema] + candidates | map(attribute='schema') | list) | unique -%}
    {%- set kinds = {} -%}
    {%- for row in run_query(
        "select database, name, engine, create_table_query from system.tables where database in "
        ~ sql_strings(schemas)
    ).rows -%}
        {%- do kinds.update({row[0] ~ '.' ~ row[1]: {'engine': row[2], 'create': row[3]}}) -%}
    {%- endfor -%}
    {%- if target.schema ~ '.dbt_builds' not in kinds -%}
        {{ ensure_builds_table() }}
    {%- endif -%}

    {%- if problems -%}
        {{ record_build('failed', '', [], problems) }}
        {{ log(
            "dbt build failed: not published; readers keep the last published build",
            info=true
        ) }}
        {{ return('') }}
    {%- endif -%}
    {%- if not built -%}
        {%- set published_before = run_query(
            "select count() from " ~ builds_relation() ~ " where status = 'published'"
        ).rows[0][0] -%}
        {%- if published_before -%}
            {{ return('') }}  {#- nothing rebuilt: the published build is still current -#}
        {%- endif -%}
    {%- endif -%}

    {%- set plan = publishing_plan(public, kinds, built, problems) -%}
    {%- set tables = plan.tables -%}
    {%- set views = plan.views -%}
    {%- set materialized = plan.materialized -%}
    {%- set inputs = plan.inputs -%}
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
    {#- the name is this invocation's (a fresh id): no earlier publish can have made it -#}
    {% do run_query("create database " ~ adapter.quote(database) ~ " engine = Atomic") %}
    {%- for node in tables + inputs -%}
        {% do run_query(
            "create table " ~ published_relation(database, node) ~ " clone as "
            ~ working_relation(node)
        ) %}
    {%- endfor -%}
    {#- a view reads the views published before it: an upstream view's ancestors are a
        subset of its own, so fewer ancestors first is an order that works -#}
    {%- set ordered = [] -%}
    {%- for node in views -%}
        {%- do ordered.append({'ancestors': upstream_ids(node) | length, 'node': node}) -%}
    {%- endfor -%}
    {%- for item in ordered | sort(attribute='ancestors') -%}
        {% do run_query(published_view_sql(
            kinds[item.node.schema ~ '.' ~ item.node.alias].create, database, public + inputs
        )) %}
    {%- endfor -%}
    {%- for node in materialized -%}
        {#- reads a seed or a non-public model: keep its rows as of now -#}
        {% do run_query(
            "create table " ~ published_relation(database, node)
            ~ " engine = MergeTree order by tuple() as select * from " ~ working_relation(node)
        ) %}
    {%- endfor -%}
    {#- the public marts (the inputs cloned for their views are not an interface) -#}
    {%- set names = (tables + views + materialized) | map(attribute='name') | sort | list -%}
    {{ record_build('published', database, names, []) }}
    {{ log("published dbt build " ~ invocation_id ~ " as database " ~ database, info=true) }}
    {{ drop_unpublished_builds(keep=2) }}
{%- endmacro %}

{#- Drop snapshot databases other than the `keep` newest published ones (readers may still be
    on the previous one), including those a crashed publish left behind. -#}
{% macro drop_unpublished_builds(keep) -%}
    {#- read as rows: an empty result has no columns here -#}
    {%- set stale = run_query(
        "select name from system.databases where startsWith(name, "
        ~ sql_string(target.schema ~ '__build_') ~ ") and name not in ("
        ~ "select published_database from " ~ builds_relation() ~ " where status = 'published'"
        ~ " order by finished_at desc limit " ~ keep ~ ")"
    ).rows -%}
    {%- for row in stale -%}
        {% do run_query("drop database if exists " ~ adapter.quote(row[0]) ~ " sync") %}
    {%- endfor -%}
{%- endmacro %}
