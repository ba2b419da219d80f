{{ config(order_by='date_day') }}

with

days as (

    select
        toDate('{{ var("date_dimension_start") }}') + number as date_day
    from numbers(
        toUInt64(
            dateDiff(
                'day',
                toDate('{{ var("date_dimension_start") }}'),
                toDate('{{ var("date_dimension_end") }}')
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
        toStartOfQuarter(date_day) as quarter_start_date,
        toMonth(date_day) as month_of_year,
        toLowCardinality(monthName(date_day)) as month_name,
        toStartOfMonth(date_day) as month_start_date,
        toISOWeek(date_day) as iso_week_of_year,
        toMonday(date_day) as week_start_date,
        toDayOfMonth(date_day) as day_of_month,
        toDayOfWeek(date_day) as day_of_week,
        toLowCardinality(dateName('weekday', date_day)) as day_name,
        toDayOfYear(date_day) as day_of_year,
        toBool(toDayOfWeek(date_day) >= 6) as is_weekend
    from days

)

select * from final
