{#-
  What each ad platform reports against what the project's own events say, per platform and
  day: spend, clicks and conversions side by side with their differences. The first-party
  side is the channel the seed ad_reporting_platform_channels names for the platform
  (facebook_ads: Meta, ...). A day either side has no rows for is 0 there, and
  has_platform_data / has_first_party_data tell a 0 from a missing load.
-#}
{{ config(order_by=['platform', 'date_day']) }}

with

report as (

    select * from {{ ref('rpt_ad_report') }}

),

platform_channels as (

    select * from {{ ref('ad_reporting_platform_channels') }}

),

platform_side as (

    select
        date_day,
        toString(platform) as platform,
        spend as platform_spend,
        clicks as platform_clicks,
        conversions as platform_conversions,
        toDecimal64(0, 6) as first_party_spend,
        toInt64(0) as first_party_clicks,
        toFloat64(0) as first_party_conversions,
        1 as platform_rows,
        0 as first_party_rows
    from report
    where platform in (select platform_channels.platform from platform_channels)

),

first_party_side as (

    select
        report.date_day as date_day,
        platform_channels.platform as platform,
        toDecimal64(0, 6) as platform_spend,
        toInt64(0) as platform_clicks,
        toFloat64(0) as platform_conversions,
        report.spend as first_party_spend,
        report.clicks as first_party_clicks,
        report.conversions as first_party_conversions,
        0 as platform_rows,
        1 as first_party_rows
    from report
    inner join platform_channels on report.ad_group_name = platform_channels.channel_name
    where report.platform = 'first_party'

),

unioned as (

    select * from platform_side
    union all
    select * from first_party_side

),

daily as (

    select
        date_day,
        platform,
        sum(platform_spend) as platform_spend,
        sum(first_party_spend) as first_party_spend,
        sum(platform_clicks) as platform_clicks,
        sum(first_party_clicks) as first_party_clicks,
        sum(platform_conversions) as platform_conversions,
        sum(first_party_conversions) as first_party_conversions,
        toBool(sum(platform_rows) > 0) as has_platform_data,
        toBool(sum(first_party_rows) > 0) as has_first_party_data
    from unioned
    group by date_day, platform

),

final as (

    select
        daily.date_day as date_day,
        toLowCardinality(daily.platform) as platform,
        toLowCardinality(platform_channels.channel_name) as first_party_channel,
        daily.has_platform_data as has_platform_data,
        daily.has_first_party_data as has_first_party_data,
        toDecimal64(daily.platform_spend, 6) as platform_spend,
        toDecimal64(daily.first_party_spend, 6) as first_party_spend,
        toDecimal64(daily.platform_spend - daily.first_party_spend, 6) as spend_difference,
        {{ safe_divide(
            'daily.platform_spend - daily.first_party_spend', 'daily.first_party_spend'
        ) }} as spend_difference_ratio,
        toInt64(daily.platform_clicks) as platform_clicks,
        toInt64(daily.first_party_clicks) as first_party_clicks,
        toInt64(daily.platform_clicks - daily.first_party_clicks) as clicks_difference,
        {{ safe_divide(
            'daily.platform_clicks - daily.first_party_clicks', 'daily.first_party_clicks'
        ) }} as clicks_difference_ratio,
        daily.platform_conversions as platform_conversions,
        daily.first_party_conversions as first_party_conversions,
        daily.platform_conversions - daily.first_party_conversions as conversions_difference,
        {{ safe_divide(
            'daily.platform_conversions - daily.first_party_conversions',
            'daily.first_party_conversions'
        ) }} as conversions_difference_ratio
    from daily
    inner join platform_channels on daily.platform = platform_channels.platform

)

select * from final
