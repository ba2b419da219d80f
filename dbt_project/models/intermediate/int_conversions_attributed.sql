with

impressions as (

    select * from {{ ref('stg_ad_platform__impressions') }}

),

clicks as (

    select * from {{ ref('stg_ad_platform__clicks') }}

),

conversions as (

    select * from {{ ref('stg_ad_platform__conversions') }}

),

joined as (

    -- impressions stream on the left: ClickHouse hashes the right-hand side of a join, and
    -- clicks and conversions are a small fraction of impressions
    select
        conversions.conversion_id as conversion_id,
        conversions.click_id as click_id,
        impressions.impression_id as impression_id,
        impressions.campaign_id as campaign_id,
        impressions.channel_id as channel_id,
        impressions.audience_id as audience_id,
        impressions.user_id as user_id,
        impressions.served_at as served_at,
        clicks.clicked_at as clicked_at,
        conversions.converted_at as converted_at,
        conversions.conversion_type as conversion_type,
        conversions.revenue as revenue,
        conversions.updated_at as updated_at
    from impressions
    inner join clicks on impressions.impression_id = clicks.impression_id
    inner join conversions on clicks.click_id = conversions.click_id

),

final as (

    select
        *,
        toDate32(converted_at) as conversion_date,
        {{ is_within_attribution_window('clicked_at', 'converted_at') }} as is_attributed
    from joined

)

select * from final
