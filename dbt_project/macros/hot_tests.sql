{#- The hot tier of tests: what a live build (`serve --refresh-every 2`) checks.

    A live build leaves the data tests out (they read whole tables) except those tagged `hot`,
    the facts' primary keys, and narrows those to the recent days with
    `where: "<day column> >= __hot_tests_from__"`. The placeholder is replaced here, when the
    test runs, by the `hot_tests_from` variable the build passes (a YYYY-MM-DD day); a build
    without it (`make transform`, the admin refresh) tests every day, and so does a hot test
    named in `all_days_tests` (the live build's slice of the whole suite). A variable in the
    YAML itself would be fixed when the project is parsed, and live builds reuse that parse. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set since = var('hot_tests_from', none) -%}
    {%- if since and not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', since | string) -%}
        {{ exceptions.raise_compiler_error("hot_tests_from=" ~ since ~ " is not YYYY-MM-DD") }}
    {%- endif -%}
    {%- if model.name in var('all_days_tests', []) -%}
        {%- set since = none -%}
    {%- endif -%}
    {%- if not where -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set bound = "toDate('" ~ (since or '1970-01-01') ~ "')" -%}
    {%- set where = where | replace('__hot_tests_from__', bound) -%}
    {{ return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') }}
{%- endmacro %}
