with

source as (

    -- dlt appends every new version of an event to a ReplacingMergeTree(updated_at);
    -- FINAL keeps only the newest version of each id, whether or not parts have merged yet
    select * from {{ source('ad_platform', 'clicks') }} final

),

renamed as (

    select
        id as click_id,
        impression_id,
        impression_served_at,
        clicked_at,
        toDecimal64(cost, 6) as cost,
        created_at,
        updated_at
    from source

)

select * from renamed
