with

source as (

    -- dlt appends every new version of an event to a ReplacingMergeTree(updated_at);
    -- FINAL keeps only the newest version of each id, whether or not parts have merged yet
    select * from {{ source('ad_platform', 'impressions') }} final

),

renamed as (

    select
        id as impression_id,
        campaign_id,
        channel_id,
        audience_id,
        user_id,
        served_at,
        toDecimal64(cost, 6) as cost,
        created_at,
        updated_at
    from source

)

select * from renamed
