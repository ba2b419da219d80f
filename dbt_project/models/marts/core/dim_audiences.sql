{{ config(order_by='audience_id') }}

with

audiences as (

    select * from {{ ref('stg_ad_platform__audiences') }}

),

final as (

    -- soft-deleted audiences stay, flagged, with their attributes: their impressions keep
    -- their segment
    select
        audience_id,
        audience_name,
        age_min,
        age_max,
        gender,
        interest,
        is_deleted,
        deleted_at,
        created_at,
        updated_at
    from audiences

)

select * from final
