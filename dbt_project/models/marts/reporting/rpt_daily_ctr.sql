with

performance as (

    select * from {{ ref('fct_campaign_performance_daily') }}

),

daily_totals as (

    select
        date_day,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from performance
    group by date_day

),

final as (

    select
        *,
        {{ ctr('clicks', 'impressions') }} as ctr
    from daily_totals

)

select * from final
