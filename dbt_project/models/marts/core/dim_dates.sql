{{ config(order_by='date_day') }}

with

days as (

    select
        -- Date32 like the facts' days: Date stops in 2149 and wraps past it
        toDate32('{{ var("date_dimension_start") }}') + number as date_day
    from numbers(
        toUInt64(
            dateDiff(
                'day',
                toDate32('{{ var("date_dimension_start") }}'),
                toDate32('{{ var("date_dimension_end") }}')
            ) + 1
        )
    )

),

final as (

    select
        date_day,
        toYear(date_day) as year_number,
        toQuarter(date_day) as quarter_of_year,
        concat(toString(toYear(date_day)), '-Q', toString(toQuarter(date_day))) as quarter_name,
        -- built from parts: toStartOfQuarter/Month and toMonday return Date, which wraps
        makeDate32(toYear(date_day), (toQuarter(date_day) - 1) * 3 + 1, 1) as quarter_start_date,
        toMonth(date_day) as month_of_year,
        toLowCardinality(dateName('month', date_day)) as month_name,
        makeDate32(toYear(date_day), toMonth(date_day), 1) as month_start_date,
        toISOWeek(date_day) as iso_week_of_year,
        date_day - (toDayOfWeek(date_day) - 1) as week_start_date,
        toDayOfMonth(date_day) as day_of_month,
        toDayOfWeek(date_day) as day_of_week,
        toLowCardinality(dateName('weekday', date_day)) as day_name,
        toDayOfYear(date_day) as day_of_year,
        toBool(toDayOfWeek(date_day) >= 6) as is_weekend
    from days

)

select * from final
