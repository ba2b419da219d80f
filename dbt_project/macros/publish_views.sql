{#-
  How publish_build (publish_build.sql) names a model's working and published relations, and
  moves a view onto a published build's clones.
-#}

{% macro working_relation(node) -%}
    {{ adapter.quote(node.schema) }}.{{ adapter.quote(node.alias) }}
{%- endmacro %}

{% macro published_relation(database, node) -%}
    {{ adapter.quote(database) }}.{{ adapter.quote(node.name) }}
{%- endmacro %}

{#- A name as ClickHouse prints it in a stored CREATE statement: back-quoted only when it is
    not a plain identifier (a name holding a back quote or a backslash is not supported). -#}
{% macro clickhouse_identifier(name) -%}
    {%- if modules.re.fullmatch('[A-Za-z_][0-9A-Za-z_]*', name) -%}
        {{ name }}
    {%- else -%}
        `{{ name }}`
    {%- endif -%}
{%- endmacro %}

{#- The stored CREATE VIEW of a working view, with every published relation it names (its
    own name included) moved to the published `database`: the same view over that build's
    clones. -#}
{% macro published_view_sql(create_query, database, published) -%}
    {%- set ns = namespace(sql=create_query) -%}
    {%- for node in published -%}
        {%- set schema = clickhouse_identifier(node.schema) -%}
        {%- set working = schema ~ '.' ~ clickhouse_identifier(node.alias) -%}
        {#- the whole name only (not the tail of another database's name, nor the head of
            a longer table name); a column may follow it -#}
        {%- set before = '(?<![0-9A-Za-z_.\\x60])' -%}
        {%- set pattern = before ~ modules.re.escape(working) ~ '(?![0-9A-Za-z_\\x60])' -%}
        {%- set moved = adapter.quote(database) ~ '.' ~ adapter.quote(node.name) -%}
        {%- set ns.sql = modules.re.sub(pattern, moved, ns.sql) -%}
    {%- endfor -%}
    {{ return(ns.sql) }}
{%- endmacro %}

{#- How each public model is published (publish_build.sql): tables (cloned), views (moved
    onto the clones), materialized (views that read a source or a non-public view), and the
    inputs cloned for the views. A public table older than a model this build rebuilt
    upstream of it, or a model never built, is appended to `problems`. -#}
{% macro publishing_plan(public, kinds, built, problems) -%}
    {%- set public_ids = public | map(attribute='unique_id') | list -%}
    {%- set tables = [] -%}
    {%- set views = [] -%}
    {%- set materialized = [] -%}
    {%- set inputs = [] -%}
    {%- for node in public -%}
        {%- set kind = kinds.get(node.schema ~ '.' ~ node.alias) -%}
        {%- if kind is none -%}
            {%- do problems.append(node.name ~ ': never built') -%}
        {%- elif kind.engine != 'View' -%}
            {%- do tables.append(node) -%}
            {%- if node.unique_id not in built -%}
                {%- for upstream in upstream_ids(node) if upstream in built -%}
                    {%- if loop.first -%}
                        {%- do problems.append(
                            node.name ~ ': not rebuilt after ' ~ graph.nodes[upstream].name
                        ) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- else -%}
            {#- a view can be published over clones when it reads only public models and
                tables (a seed, a table model): those are cloned beside it -#}
            {%- set private = [] -%}
            {%- set readable = namespace(ok=true) -%}
            {%- for unique_id in node.depends_on.nodes if unique_id not in public_ids -%}
                {%- set input = graph.nodes.get(unique_id, {'schema': '', 'alias': ''}) -%}
                {%- set where = input.schema ~ '.' ~ input.alias -%}
                {%- if kinds.get(where, {'engine': 'View'}).engine == 'View' -%}
                    {%- set readable.ok = false -%}
                {%- elif input not in private -%}
                    {%- do private.append(input) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if readable.ok -%}
                {%- do views.append(node) -%}
                {%- for input in private if input not in inputs -%}
                    {%- do inputs.append(input) -%}
                {%- endfor -%}
            {%- else -%}
                {%- do materialized.append(node) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return({
        'tables': tables, 'views': views, 'materialized': materialized, 'inputs': inputs
    }) }}
{%- endmacro %}
