{#-
  The four ad-platform APIs in one shape: Fivetran dbt_ad_reporting's ad report columns, each
  branch naming only the fields that differ from them (doc ad_reporting_field_mapping) and
  casting to the same types (macro ad_report_columns), so the union never depends on which
  platforms have rows.
  A table, not a view: it changes only when the ad-platform APIs are loaded, and the unified
  report (a view) is published over a clone of it, so a live build of the project's own
  events reads nothing of the platforms again.
-#}
{{ config(materialized='table', order_by=['platform', 'date_day']) }}

with

meta_ads as (

    select * from {{ ref('stg_meta_ads__ad_report') }}

),

google_ads as (

    select * from {{ ref('stg_google_ads__ad_report') }}

),

tiktok_ads as (

    select * from {{ ref('stg_tiktok_ads__ad_report') }}

),

linkedin_ads as (

    select * from {{ ref('stg_linkedin_ads__ad_report') }}

),

meta_ads_mapped as (

    -- ad sets are the ad groups; clicks are link clicks, as dbt_facebook_ads counts them
    select
        {{ ad_report_columns('meta_ads', 'facebook_ads', {
            'ad_group_id': 'ad_set_id',
            'ad_group_name': 'ad_set_name',
            'clicks': 'inline_link_clicks',
        }) }}
    from meta_ads

),

google_ads_mapped as (

    select {{ ad_report_columns('google_ads', 'google_ads') }}
    from google_ads

),

tiktok_ads_mapped as (

    -- the advertiser is the account
    select
        {{ ad_report_columns('tiktok_ads', 'tiktok_ads', {
            'account_id': 'advertiser_id',
            'account_name': 'advertiser_name',
        }) }}
    from tiktok_ads

),

linkedin_ads_mapped as (

    -- one level up: the campaign group is the campaign, the campaign the ad group, the
    -- creative the ad; the report carries ids only
    select
        {{ ad_report_columns('linkedin_ads', 'linkedin_ads', {
            'account_name': none,
            'campaign_id': 'campaign_group_id',
            'campaign_name': none,
            'ad_group_id': 'campaign_id',
            'ad_group_name': none,
            'ad_id': 'creative_id',
            'ad_name': none,
            'spend': 'cost_in_usd',
            'conversions': 'total_conversions',
            'conversions_value': 'conversion_value_in_local_currency',
        }) }}
    from linkedin_ads

),

unioned as (

    select * from meta_ads_mapped
    union all
    select * from google_ads_mapped
    union all
    select * from tiktok_ads_mapped
    union all
    select * from linkedin_ads_mapped

)

select * from unioned
