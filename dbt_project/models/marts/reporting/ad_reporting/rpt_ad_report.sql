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

    -- an advertiser's campaign on one channel: the channel sits in the ad group columns
    select
        {{ ad_report_columns('ad_platform', 'first_party', {
            'account_id': 'advertiser_id',
            'account_name': 'advertiser_name',
            'ad_group_id': 'channel_id',
            'ad_group_name': 'channel_name',
            'ad_id': none,
            'ad_name': none,
            'conversions_value': 'revenue',
        }) }}
    from first_party_daily

),

unioned as (

    select
        source_relation,
        date_day,
        platform,
        account_id,
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
