{#-
  Click-through attribution: a conversion counts when it happens within
  var('attribution_window_days') days of its click, the boundary itself included.
-#}
{% macro is_within_attribution_window(clicked_at, converted_at) -%}
    toBool({{ converted_at }} <= {{ clicked_at }} + toIntervalDay({{ var('attribution_window_days') }}))
{%- endmacro %}

{#- fct_ad_events' first pre-hook: an incremental build with another window than the one the
    table was built with would mix both windows' attribution, so it stops and says how to
    rebuild. Renders nothing. -#}
{% macro assert_attribution_window_unchanged() -%}
    {%- if execute and is_incremental() -%}
        {%- set built = run_query(
            "select toString(groupUniqArray(attribution_window_days)) from " ~ this
        ).rows[0][0] -%}
        {%- set wanted = "[" ~ var('attribution_window_days') ~ "]" -%}
        {%- if built not in ("[]", wanted) -%}
            {{ exceptions.raise_compiler_error(
                this ~ " was built with attribution_window_days " ~ built ~ " and this build asks"
                ~ " for " ~ var('attribution_window_days') ~ "; rebuild its attribution with"
                ~ " `dbt build --full-refresh -s fct_ad_events+`"
            ) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
