{{ config(order_by='advertiser_id') }}

with

advertisers as (

    select * from {{ ref('stg_ad_platform__advertisers') }}

),

campaigns as (

    select * from {{ ref('stg_ad_platform__campaigns') }}

),

campaign_counts as (

    select
        advertiser_id,
        count() as campaign_count,
        countIf(not is_deleted) as live_campaign_count
    from campaigns
    group by advertiser_id

),

final as (

    -- soft-deleted advertisers stay, flagged, with their name: their campaigns' history
    -- keeps counting for them
    select
        advertisers.advertiser_id as advertiser_id,
        advertisers.advertiser_name as advertiser_name,
        advertisers.industry as industry,
        advertisers.country_code as country_code,
        -- an advertiser without campaigns has 0 of them, whatever join_use_nulls says
        coalesce(campaign_counts.campaign_count, 0) as campaign_count,
        coalesce(campaign_counts.live_campaign_count, 0) as live_campaign_count,
        advertisers.is_deleted as is_deleted,
        advertisers.deleted_at as deleted_at,
        advertisers.created_at as created_at,
        advertisers.updated_at as updated_at
    from advertisers
    left join campaign_counts on advertisers.advertiser_id = campaign_counts.advertiser_id

)

select * from final
