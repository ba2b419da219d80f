with

campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

performance as (

    select * from {{ ref('fct_campaign_performance_daily') }}

),

campaign_totals as (

    -- reach is not additive: merge the daily distinct-user states instead of summing days
    select
        campaign_id,
        sum(impressions) as impressions,
        uniqExactMerge(reached_users_state) as reach
    from performance
    group by campaign_id

),

joined as (

    select
        campaigns.campaign_id as campaign_id,
        campaigns.campaign_name as campaign_name,
        campaigns.is_deleted as is_deleted,
        -- a campaign without impressions reached nobody, whatever join_use_nulls says
        coalesce(campaign_totals.impressions, 0) as impressions,
        coalesce(campaign_totals.reach, 0) as reach
    from campaigns
    left join campaign_totals on campaigns.campaign_id = campaign_totals.campaign_id

),

final as (

    select
        *,
        {{ frequency('impressions', 'reach') }} as frequency
    from joined

)

select * from final
