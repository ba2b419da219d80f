{{ config(order_by='audience_id') }}

with

audiences as (

    select * from {{ ref('stg_ad_platform__audiences') }}

),

impressions as (

    select * from {{ ref('stg_ad_platform__impressions') }}

),

live_audiences as (

    select
        audience_id,
        audience_name,
        age_min,
        age_max,
        gender,
        interest,
        false as is_deleted,
        created_at,
        updated_at
    from audiences

),

deleted_audiences as (

    -- deleted in the source (so removed from raw by dlt) but still referenced by events:
    -- kept as members without attributes so every fact row finds its audience
    select distinct
        impressions.audience_id as audience_id,
        null as audience_name,
        null as age_min,
        null as age_max,
        null as gender,
        null as interest,
        true as is_deleted,
        null as created_at,
        null as updated_at
    from impressions
    where impressions.audience_id not in (select audiences.audience_id from audiences)

),

unioned as (

    select * from live_audiences
    union all
    select * from deleted_audiences

),

final as (

    select
        audience_id,
        audience_name,
        age_min,
        age_max,
        toLowCardinality(gender) as gender,
        toLowCardinality(interest) as interest,
        is_deleted,
        created_at,
        updated_at
    from unioned

)

select * from final
