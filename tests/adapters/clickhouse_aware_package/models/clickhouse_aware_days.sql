select
    toDate('2024-01-01') + number as date_day,
    {{ clickhouse_aware.day_name('toDate(\'2024-01-01\') + number') }} as day_name,
    cast('weekday' as {{ dbt.type_string() }}) as kind,
    {{ var('clickhouse_aware_depth') }} as depth
from numbers(7)
