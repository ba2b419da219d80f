{#- "How much did I spend on LinkedIn this quarter": one row per channel and calendar quarter. -#}
{{ config(order_by=['quarter_start_date', 'channel_id']) }}

with

channels as (

    select * from {{ ref('dim_channels') }}

),

dates as (

    select * from {{ ref('dim_dates') }}

),

performance as (

    select * from {{ ref('fct_campaign_performance_daily') }}

),

quarterly_totals as (

    select
        dates.quarter_start_date as quarter_start_date,
        dates.quarter_name as quarter_name,
        performance.channel_id as channel_id,
        sum(performance.impressions) as impressions,
        sum(performance.clicks) as clicks,
        sum(performance.conversions) as conversions,
        sum(performance.spend) as spend,
        sum(performance.revenue) as revenue,
        uniqExactMerge(performance.reached_users_state) as reach
    from performance
    inner join dates on performance.date_day = dates.date_day
    group by dates.quarter_start_date, dates.quarter_name, performance.channel_id

),

joined as (

    select
        quarterly_totals.quarter_start_date as quarter_start_date,
        quarterly_totals.quarter_name as quarter_name,
        quarterly_totals.channel_id as channel_id,
        channels.channel_name as channel_name,
        quarterly_totals.impressions as impressions,
        quarterly_totals.clicks as clicks,
        quarterly_totals.conversions as conversions,
        quarterly_totals.spend as spend,
        quarterly_totals.revenue as revenue,
        quarterly_totals.reach as reach
    from quarterly_totals
    inner join channels on quarterly_totals.channel_id = channels.channel_id

),

final as (

    select
        *,
        {{ ctr('clicks', 'impressions') }} as ctr,
        {{ cvr('conversions', 'clicks') }} as cvr,
        {{ cpc('spend', 'clicks') }} as cpc,
        {{ cpm('spend', 'impressions') }} as cpm,
        {{ cpa('spend', 'conversions') }} as cpa,
        {{ roas('revenue', 'spend') }} as roas,
        {{ frequency('impressions', 'reach') }} as frequency
    from joined

)

select * from final
