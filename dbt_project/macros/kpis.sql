{#-
  Every KPI is defined here once, as a ratio of sums at the grain of the query that calls the
  macro (never an average of per-row ratios), and is NULL when its denominator is zero (no
  impressions, no clicks, no spend ...). Callers pass sums, e.g. ctr('sum(clicks)',
  'sum(impressions)'). Definitions: models/marts/reporting/_reporting__docs.md.
-#}

{% macro safe_divide(numerator, denominator) -%}
    if(({{ denominator }}) = 0, NULL, toFloat64({{ numerator }}) / toFloat64({{ denominator }}))
{%- endmacro %}

{% macro ctr(clicks, impressions) -%}
    {{ safe_divide(clicks, impressions) }}
{%- endmacro %}

{% macro cvr(conversions, clicks) -%}
    {{ safe_divide(conversions, clicks) }}
{%- endmacro %}

{% macro cpc(spend, clicks) -%}
    {{ safe_divide(spend, clicks) }}
{%- endmacro %}

{% macro cpm(spend, impressions) -%}
    {{ safe_divide('(' ~ spend ~ ') * 1000', impressions) }}
{%- endmacro %}

{% macro cpa(spend, conversions) -%}
    {{ safe_divide(spend, conversions) }}
{%- endmacro %}

{% macro roas(revenue, spend) -%}
    {{ safe_divide(revenue, spend) }}
{%- endmacro %}

{% macro frequency(impressions, reach) -%}
    {{ safe_divide(impressions, reach) }}
{%- endmacro %}

{#- Budget share spent divided by flight share elapsed: 1 is on pace, < 1 under-delivers. -#}
{% macro pacing(spend_to_date, budget, elapsed_days, flight_days) -%}
    {{ safe_divide(
        safe_divide(spend_to_date, budget),
        safe_divide(elapsed_days, flight_days)
    ) }}
{%- endmacro %}

{#- The day pacing is measured on: var pacing_as_of_date, else today in UTC (not the
    server's timezone). -#}
{% macro pacing_as_of_date() -%}
    {%- if var('pacing_as_of_date') -%}
        toDate('{{ var("pacing_as_of_date") }}')
    {%- else -%}
        toDate(now('UTC'))
    {%- endif -%}
{%- endmacro %}
