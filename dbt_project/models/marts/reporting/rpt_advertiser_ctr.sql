with

advertisers as (

    select * from {{ ref('dim_advertisers') }}

),

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

advertiser_totals as (

    -- deleted campaigns keep their advertiser (dim_campaigns keeps them), so an advertiser's
    -- totals are the sum of all its campaigns' totals
    select
        campaigns.advertiser_id as advertiser_id,
        sum(campaign_totals.impressions) as impressions,
        sum(campaign_totals.clicks) as clicks
    from campaign_totals
    inner join campaigns on campaign_totals.campaign_id = campaigns.campaign_id
    group by campaigns.advertiser_id

),

joined as (

    select
        advertisers.advertiser_id as advertiser_id,
        advertisers.advertiser_name as advertiser_name,
        advertisers.is_deleted as is_deleted,
        -- an advertiser without impressions has 0 of them, whatever join_use_nulls says
        coalesce(advertiser_totals.impressions, 0) as impressions,
        coalesce(advertiser_totals.clicks, 0) as clicks
    from advertisers
    left join advertiser_totals on advertisers.advertiser_id = advertiser_totals.advertiser_id

),

final as (

    select
        *,
        {{ ctr('clicks', 'impressions') }} as ctr
    from joined

)

select * from final
