with

channels as (

    select * from {{ ref('dim_channels') }}

),

performance as (

    select * from {{ ref('fct_campaign_performance_daily') }}

),

channel_totals as (

    select
        channel_id,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        sum(revenue) as revenue
    from performance
    group by channel_id

),

joined as (

    select
        channels.channel_id as channel_id,
        channels.channel_name as channel_name,
        channels.is_deleted as is_deleted,
        -- a channel without clicks has 0 of them, whatever join_use_nulls says
        coalesce(channel_totals.clicks, 0) as clicks,
        coalesce(channel_totals.conversions, 0) as conversions,
        coalesce(channel_totals.revenue, 0) as revenue
    from channels
    left join channel_totals on channels.channel_id = channel_totals.channel_id

),

final as (

    select
        *,
        {{ cvr('conversions', 'clicks') }} as cvr,
        -- ties broken by id so the ranking is stable between builds
        row_number() over (order by conversions desc, channel_id asc) as conversions_rank
    from joined

)

select * from final
