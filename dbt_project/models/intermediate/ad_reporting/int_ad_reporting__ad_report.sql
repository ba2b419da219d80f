{#-
  The four ad-platform APIs in one shape: Fivetran dbt_ad_reporting's ad report columns
  (field mapping: doc ad_reporting_field_mapping). Every branch casts to the same types, so
  the union's types never depend on which platforms have rows.
-#}

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

    -- link clicks, as Fivetran's dbt_facebook_ads counts them; ad sets are the ad groups
    select
        toLowCardinality('meta_ads') as source_relation,
        date_day,
        toLowCardinality('facebook_ads') as platform,
        toString(account_id) as account_id,
        cast(account_name as Nullable(String)) as account_name,
        cast(campaign_id as Nullable(String)) as campaign_id,
        cast(campaign_name as Nullable(String)) as campaign_name,
        cast(ad_set_id as Nullable(String)) as ad_group_id,
        cast(ad_set_name as Nullable(String)) as ad_group_name,
        cast(ad_id as Nullable(String)) as ad_id,
        cast(ad_name as Nullable(String)) as ad_name,
        toInt64(inline_link_clicks) as clicks,
        toInt64(impressions) as impressions,
        toDecimal64(spend, 6) as spend,
        toFloat64(conversions) as conversions,
        toDecimal64(conversions_value, 6) as conversions_value
    from meta_ads

),

google_ads_mapped as (

    select
        toLowCardinality('google_ads') as source_relation,
        date_day,
        toLowCardinality('google_ads') as platform,
        toString(account_id) as account_id,
        cast(account_name as Nullable(String)) as account_name,
        cast(campaign_id as Nullable(String)) as campaign_id,
        cast(campaign_name as Nullable(String)) as campaign_name,
        cast(ad_group_id as Nullable(String)) as ad_group_id,
        cast(ad_group_name as Nullable(String)) as ad_group_name,
        cast(ad_id as Nullable(String)) as ad_id,
        cast(ad_name as Nullable(String)) as ad_name,
        toInt64(clicks) as clicks,
        toInt64(impressions) as impressions,
        toDecimal64(spend, 6) as spend,
        toFloat64(conversions) as conversions,
        toDecimal64(conversions_value, 6) as conversions_value
    from google_ads

),

tiktok_ads_mapped as (

    -- the advertiser is the account
    select
        toLowCardinality('tiktok_ads') as source_relation,
        date_day,
        toLowCardinality('tiktok_ads') as platform,
        toString(advertiser_id) as account_id,
        cast(advertiser_name as Nullable(String)) as account_name,
        cast(campaign_id as Nullable(String)) as campaign_id,
        cast(campaign_name as Nullable(String)) as campaign_name,
        cast(ad_group_id as Nullable(String)) as ad_group_id,
        cast(ad_group_name as Nullable(String)) as ad_group_name,
        cast(ad_id as Nullable(String)) as ad_id,
        cast(ad_name as Nullable(String)) as ad_name,
        toInt64(clicks) as clicks,
        toInt64(impressions) as impressions,
        toDecimal64(spend, 6) as spend,
        toFloat64(conversions) as conversions,
        toDecimal64(conversions_value, 6) as conversions_value
    from tiktok_ads

),

linkedin_ads_mapped as (

    -- one level up: LinkedIn's campaign group is the campaign, its campaign the ad group and
    -- its creative the ad; its report carries ids only
    select
        toLowCardinality('linkedin_ads') as source_relation,
        date_day,
        toLowCardinality('linkedin_ads') as platform,
        toString(account_id) as account_id,
        cast(null as Nullable(String)) as account_name,
        cast(campaign_group_id as Nullable(String)) as campaign_id,
        cast(null as Nullable(String)) as campaign_name,
        cast(campaign_id as Nullable(String)) as ad_group_id,
        cast(null as Nullable(String)) as ad_group_name,
        cast(creative_id as Nullable(String)) as ad_id,
        cast(null as Nullable(String)) as ad_name,
        toInt64(clicks) as clicks,
        toInt64(impressions) as impressions,
        toDecimal64(cost_in_usd, 6) as spend,
        toFloat64(total_conversions) as conversions,
        toDecimal64(conversion_value_in_local_currency, 6) as conversions_value
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
