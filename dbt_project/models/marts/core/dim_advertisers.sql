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
        count() as campaign_count
    from campaigns
    group by advertiser_id

),

live_advertisers as (

    select
        advertisers.advertiser_id as advertiser_id,
        advertisers.advertiser_name as advertiser_name,
        advertisers.industry as industry,
        advertisers.country_code as country_code,
        false as is_deleted,
        advertisers.created_at as created_at,
        advertisers.updated_at as updated_at
    from advertisers

),

deleted_advertisers as (

    -- deleted in the source (so removed from raw by dlt) but still owning live campaigns:
    -- kept as members without attributes so every campaign finds its advertiser
    select
        campaign_counts.advertiser_id as advertiser_id,
        null as advertiser_name,
        null as industry,
        null as country_code,
        true as is_deleted,
        null as created_at,
        null as updated_at
    from campaign_counts
    where campaign_counts.advertiser_id not in (select advertisers.advertiser_id from advertisers)

),

unioned as (

    select * from live_advertisers
    union all
    select * from deleted_advertisers

),

final as (

    select
        unioned.advertiser_id as advertiser_id,
        unioned.advertiser_name as advertiser_name,
        toLowCardinality(unioned.industry) as industry,
        toLowCardinality(unioned.country_code) as country_code,
        coalesce(campaign_counts.campaign_count, 0) as campaign_count,
        unioned.is_deleted as is_deleted,
        unioned.created_at as created_at,
        unioned.updated_at as updated_at
    from unioned
    left join campaign_counts on unioned.advertiser_id = campaign_counts.advertiser_id

)

select * from final
