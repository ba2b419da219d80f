with

source as (

    -- dlt appends every new version of an event to a ReplacingMergeTree(updated_at);
    -- FINAL keeps only the newest version of each id, whether or not parts have merged yet
    select * from {{ source('ad_platform', 'conversions') }} final

),

renamed as (

    select
        id as conversion_id,
        click_id,
        click_clicked_at,
        converted_at,
        toLowCardinality(conversion_type) as conversion_type,
        toDecimal64(revenue, 2) as revenue,
        created_at,
        updated_at
    from source

)

select * from renamed
