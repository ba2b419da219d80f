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
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from performance
    group by campaign_id

),

joined as (

    select
        campaigns.campaign_id as campaign_id,
        campaigns.campaign_name as campaign_name,
        campaigns.advertiser_id as advertiser_id,
        campaigns.is_deleted as is_deleted,
        -- a campaign without impressions has 0 of them, whatever join_use_nulls says
        coalesce(campaign_totals.impressions, 0) as impressions,
        coalesce(campaign_totals.clicks, 0) as clicks
    from campaigns
    left join campaign_totals on campaigns.campaign_id = campaign_totals.campaign_id

),

final as (

    select
        *,
        {{ ctr('clicks', 'impressions') }} as ctr
    from joined

)

select * from final
