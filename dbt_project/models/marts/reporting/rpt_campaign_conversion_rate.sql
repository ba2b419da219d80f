with

campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

performance as (

    select * from {{ ref('fct_campaign_performance_daily') }}

),

campaign_totals as (

    select
        campaign_id,
        sum(clicks) as clicks,
        sum(conversions) as conversions
    from performance
    group by campaign_id

),

joined as (

    select
        campaigns.campaign_id as campaign_id,
        campaigns.campaign_name as campaign_name,
        campaigns.is_deleted as is_deleted,
        -- a campaign without clicks has 0 of them, whatever join_use_nulls says
        coalesce(campaign_totals.clicks, 0) as clicks,
        coalesce(campaign_totals.conversions, 0) as conversions
    from campaigns
    left join campaign_totals on campaigns.campaign_id = campaign_totals.campaign_id

),

final as (

    select
        *,
        {{ cvr('conversions', 'clicks') }} as cvr
    from joined

)

select * from final
