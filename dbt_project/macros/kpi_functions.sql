{#-
  The KPI macros (kpis.sql), registered as ClickHouse SQL functions by on-run-start, so a
  consumer outside dbt (the KPI report, later an API) computes each KPI with the very same
  expression at the grain it needs: `campaign_analytics_ctr(sum(clicks), sum(impressions))`.
  SQL functions are server-wide, hence the project-name prefix.
-#}

{% macro kpi_function_name(kpi) -%}
    {{ project_name }}_{{ kpi }}
{%- endmacro %}

{% macro create_kpi_functions() -%}
    {%- set definitions = {
        'ctr': ['clicks, impressions', ctr('clicks', 'impressions')],
        'cvr': ['conversions, clicks', cvr('conversions', 'clicks')],
        'cpc': ['spend, clicks', cpc('spend', 'clicks')],
        'cpm': ['spend, impressions', cpm('spend', 'impressions')],
        'cpa': ['spend, conversions', cpa('spend', 'conversions')],
        'roas': ['revenue, spend', roas('revenue', 'spend')],
        'frequency': ['impressions, reach', frequency('impressions', 'reach')],
        'pacing': [
            'spend_to_date, budget, elapsed_days, flight_days',
            pacing('spend_to_date', 'budget', 'elapsed_days', 'flight_days'),
        ],
    } -%}
    {%- if execute and not var('project_unchanged', false) -%}
        {%- for kpi, definition in definitions.items() -%}
            {%- do run_query(
                'create or replace function ' ~ kpi_function_name(kpi)
                ~ ' as (' ~ definition[0] ~ ') -> ' ~ definition[1]
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
