{#-
  The unified ad report: the four ad-platform APIs (int_ad_reporting__ad_report) plus the
  project's own events as one more platform, `first_party`, in the same columns. A
  first-party row is a campaign on one channel for one day: the channel sits in the ad group
  columns (the level between campaign and ad), and there are no ads.
-#}
{{ config(order_by=['platform', 'date_day']) }}

with

platform_reports as (

    select * from {{ ref('int_ad_reporting__ad_report') }}

),

first_party_daily as (

    select * from {{ ref('rpt_campaign_channel_daily_performance') }}

),

first_party as (

    select
        toLowCardinality('ad_platform') as source_relation,
        date_day,
        toLowCardinality('first_party') as platform,
        cast(toString(advertiser_id) as Nullable(String)) as account_id,
        cast(advertiser_name as Nullable(String)) as account_name,
        cast(toString(campaign_id) as Nullable(String)) as campaign_id,
        cast(campaign_name as Nullable(String)) as campaign_name,
        cast(toString(channel_id) as Nullable(String)) as ad_group_id,
        cast(channel_name as Nullable(String)) as ad_group_name,
        cast(null as Nullable(String)) as ad_id,
        cast(null as Nullable(String)) as ad_name,
        toInt64(clicks) as clicks,
        toInt64(impressions) as impressions,
        toDecimal64(spend, 6) as spend,
        toFloat64(conversions) as conversions,
        toDecimal64(revenue, 6) as conversions_value
    from first_party_daily

),

unioned as (

    select
        source_relation,
        date_day,
        platform,
        cast(account_id as Nullable(String)) as account_id,
        account_name,
        campaign_id,
        campaign_name,
        ad_group_id,
        ad_group_name,
        ad_id,
        ad_name,
        clicks,
        impressions,
        spend,
        conversions,
        conversions_value
    from platform_reports

    union all

    select * from first_party

)

select * from unioned
