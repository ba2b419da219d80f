{#-
  Readers (the KPI report, the API, BI tools) see one consistent, complete build.

  `dbt build` rebuilds the models in the target schema one by one, and a failing test skips
  everything downstream of it, so mid-build or after a failure those tables mix new and old
  data. on-run-end therefore publishes a build only when it succeeded: every model with
  `access: public` (the marts readers use) is published into a build database, and only then
  is a row added to `<schema>.dbt_builds` naming that database. Readers take the newest
  `published` row and query its database, so they never see a half-written build.

  The build databases are four, `<schema>__build_0` to `_3`, taken in turn: a publish writes
  into the one no row among the three newest published builds names, so the build readers
  are on, and the two before it (readers may still be on those), stay as they are. A live
  `serve` publishes every few seconds: reusing the databases keeps their views (a view's SQL
  changes only with the project), where a new database per build re-created ~12 views each
  time, half the cost of a hot publish.

  How a public model is published:
  * a table is cloned (CREATE OR REPLACE ... CLONE AS hard-links the parts: no data is
    copied), replacing the clone of the build that database held before;
  * a view that reads only public models and tables (the KPI marts over the daily fact and
    the dims; a seed) becomes the same view over that database's clones, the tables it reads
    cloned beside it: what it reads cannot change under it, and a database that already has
    the view from the same parse keeps it;
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

{#- the build databases publishes take in turn (one per build readers may be on, and the
    one being written) -#}
{% macro build_databases() -%}
    {%- set databases = [] -%}
    {%- for index in range(4) -%}
        {%- do databases.append(target.schema ~ '__build_' ~ index) -%}
    {%- endfor -%}
    {{ return(databases) }}
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
            problems Array(String),
            project_version String
        ) engine = MergeTree order by finished_at"
    ) %}
{%- endmacro %}

{#- The project the views of a build database were made from: `serve` passes its parse's id
    (var `project_version`), so a live build that finds its database's views made from the
    same parse keeps them; any other build re-creates them. -#}
{% macro project_version() -%}
    {{ return(var('project_version', invocation_id) | string) }}
{%- endmacro %}

{% macro record_build(status, database, models, problems) -%}
    {% do run_query(
        "insert into " ~ builds_relation() ~ " (invocation_id, status, published_database"
        ~ ", started_at, finished_at, target_name, dbt_version, models, problems"
        ~ ", project_version) values (" ~ sql_string(invocation_id) ~ ", "
        ~ sql_string(status) ~ ", " ~ sql_string(database)
        ~ ", parseDateTime64BestEffort(" ~ sql_string(run_started_at) ~ ", 3, 'UTC')"
        ~ ", now64(3, 'UTC'), " ~ sql_string(target.name) ~ ", " ~ sql_string(dbt_version)
        ~ ", " ~ sql_strings(models) ~ ", " ~ sql_strings(problems) ~ ", "
        ~ sql_string(project_version()) ~ ")"
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
    {#- the engine of every relation in the schemas the public models, their inputs and the
        builds table live in, and in the build databases (one query: a live build publishes
        every few seconds, and each query costs dbt ~10 ms besides the engine's time) -#}
    {%- set candidates = public | list -%}
    {%- for node in public -%}
        {%- for unique_id in node.depends_on.nodes if unique_id in graph.nodes -%}
            {%- do candidates.append(graph.nodes[unique_id]) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set schemas = ([target.schema] + candidates | map(attribute='schema') | list) | unique -%}
    {%- set build_databases = build_databases() -%}
    {%- set kinds = {} -%}
    {%- for row in run_query(
        "select database, name, engine from system.tables where database in "
        ~ sql_strings(schemas | list + build_databases)
    ).rows -%}
        {%- do kinds.update({row[0] ~ '.' ~ row[1]: {'engine': row[2]}}) -%}
    {%- endfor -%}
    {%- if target.schema ~ '.dbt_builds' not in kinds -%}
        {{ ensure_builds_table() }}
    {%- elif not var('project_unchanged', false) -%}
        {#- a builds table from before project_version (a live build follows one that is not
            live in its process, so it never needs the look) -#}
        {% do run_query(
            "alter table " ~ builds_relation() ~ " add column if not exists project_version String"
        ) %}
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

    {#- the build database used longest ago (or never, first by name): no row among the
        three newest published builds names it; and the project its views were made from
        (none for a database never used, whatever join_use_nulls says) -#}
    {%- set pick = run_query(
        "select names.name, if(uses.used, uses.version, '') from (select arrayJoin("
        ~ sql_strings(build_databases) ~ ") as name) as names left join (select"
        ~ " published_database, max(finished_at) as used_at, argMax(project_version,"
        ~ " finished_at) as version, true as used from " ~ builds_relation()
        ~ " where status = 'published' group by published_database) as uses"
        ~ " on uses.published_database = names.name"
        ~ " order by uses.used nulls first, uses.used_at, names.name limit 1"
    ).rows[0] -%}
    {%- set database = pick[0] -%}
    {%- set views_current = pick[1] == project_version() -%}
    {#- what the database holds now, by name -#}
    {%- set held = {} -%}
    {%- for key, kind in kinds.items() if key.startswith(database ~ '.') -%}
        {%- do held.update({key[database | length + 1:]: kind}) -%}
    {%- endfor -%}
    {%- if not held -%}
        {% do run_query(
            "create database if not exists " ~ adapter.quote(database) ~ " engine = Atomic"
        ) %}
    {%- endif -%}
    {#- live marts (publish_live.sql): a table a live model completes is cloned as its
        history, and its name becomes a view over both -#}
    {%- set live = live_parts() -%}
    {%- for node in live.values() if node.unique_id in built -%}
        {{ refresh_live(node) }}
    {%- endfor -%}
    {%- for node in tables + inputs -%}
        {%- set name = live_history_name(node.name) if node.name in live else node.name -%}
        {%- if held.get(name, {}).get('engine') == 'View' -%}
            {#- the live view a build with live marts left there -#}
            {% do run_query(
                "drop table " ~ adapter.quote(database) ~ "." ~ adapter.quote(name) ~ " sync"
            ) %}
        {%- endif -%}
        {% do run_query(
            "create or replace table " ~ adapter.quote(database) ~ "." ~ adapter.quote(name)
            ~ " clone as " ~ working_relation(node)
        ) %}
    {%- endfor -%}
    {%- if not views_current -%}
        {%- for table, node in live.items() -%}
            {%- if held.get(table, {}).get('engine') not in (none, 'View') -%}
                {#- the clone a build without live marts left there -#}
                {% do run_query(
                    "drop table " ~ adapter.quote(database) ~ "." ~ adapter.quote(table)
                    ~ " sync"
                ) %}
            {%- endif -%}
            {{ publish_live_view(database, table, node) }}
        {%- endfor -%}
        {{ publish_views(database, views, public + inputs) }}
    {%- endif -%}
    {%- for node in materialized -%}
        {#- reads a seed or a non-public model: keep its rows as of now -#}
        {% do run_query(
            "create or replace table " ~ published_relation(database, node)
            ~ " engine = MergeTree order by tuple() as select * from " ~ working_relation(node)
        ) %}
    {%- endfor -%}
    {#- the public marts (the inputs cloned for their views are not an interface) -#}
    {%- set names = (tables + views + materialized) | map(attribute='name') | sort | list -%}
    {#- what the database held that this build does not publish (a model no longer public) -#}
    {%- set published_names = (tables + inputs + views + materialized)
        | map(attribute='name') | list -%}
    {%- for table in live -%}
        {%- do published_names.append(live_history_name(table)) -%}
    {%- endfor -%}
    {%- for name in held if name not in published_names and not views_current -%}
        {% do run_query(
            "drop table if exists " ~ adapter.quote(database) ~ "." ~ adapter.quote(name)
            ~ " sync"
        ) %}
    {%- endfor -%}
    {{ record_build('published', database, names, []) }}
    {{ log("published dbt build " ~ invocation_id ~ " as database " ~ database, info=true) }}
    {%- if not var('project_unchanged', false) -%}
        {{ drop_legacy_build_databases(build_databases) }}
    {%- endif -%}
{%- endmacro %}

{#- The `views` as views over the clones in `database`, replacing what it held. -#}
{% macro publish_views(database, views, published) -%}
    {%- if not views -%}
        {{ return('') }}
    {%- endif -%}
    {%- set relations = [] -%}
    {%- for node in views -%}
        {%- do relations.append(
            '(' ~ sql_string(node.schema) ~ ', ' ~ sql_string(node.alias) ~ ')'
        ) -%}
    {%- endfor -%}
    {%- set creates = {} -%}
    {%- for row in run_query(
        "select database, name, create_table_query from system.tables where (database, name) in ["
        ~ relations | join(', ') ~ "]"
    ).rows -%}
        {%- do creates.update({row[0] ~ '.' ~ row[1]: row[2]}) -%}
    {%- endfor -%}
    {#- a view reads the views published before it: an upstream view's ancestors are a
        subset of its own, so fewer ancestors first is an order that works -#}
    {%- set ordered = [] -%}
    {%- for node in views -%}
        {%- do ordered.append({'ancestors': upstream_ids(node) | length, 'node': node}) -%}
    {%- endfor -%}
    {%- for item in ordered | sort(attribute='ancestors') -%}
        {%- set sql = published_view_sql(
            creates[item.node.schema ~ '.' ~ item.node.alias], database, published
        ) -%}
        {% do run_query('CREATE OR REPLACE VIEW' ~ sql[('CREATE VIEW' | length):]) %}
    {%- endfor -%}
{%- endmacro %}

{#- Drop the per-invocation build databases (`<schema>__build_<invocation id>`) publishes
    made before they took turns in a fixed set: a live build skips the look. -#}
{% macro drop_legacy_build_databases(build_databases) -%}
    {#- read as rows: an empty result has no columns here -#}
    {%- set stale = run_query(
        "select name from system.databases where startsWith(name, "
        ~ sql_string(target.schema ~ '__build_') ~ ") and name not in "
        ~ sql_strings(build_databases)
    ).rows -%}
    {%- for row in stale -%}
        {% do run_query("drop database if exists " ~ adapter.quote(row[0]) ~ " sync") %}
    {%- endfor -%}
{%- endmacro %}
