"""dbt-tests-adapter's cross-database macro suites (dbt's `utils`) on dbt-chdb.

Where upstream's fixtures are PostgreSQL-typed, the class below says what ClickHouse needs
instead (the same changes dbt-clickhouse's own suite makes). Not run, and failing the same way
on a ClickHouse server: `BaseDate`, `BaseDateSpine` and `BaseGetIntervalsBetween`
(dbt-clickhouse ships no ClickHouse version of `dbt.date`/`date_spine`/
`get_intervals_between`; the default ones call `to_date`), and `BaseCurrentTimestampAware`
(dbt-clickhouse's `current_timestamp()` is a naive `DateTime`; the naive suite runs).
Long: runs in .ci/run.
"""

from __future__ import annotations

import pytest
from dbt.tests.adapter.utils import (
    fixture_array_append,
    fixture_array_concat,
    fixture_dateadd,
    fixture_datediff,
    fixture_replace,
    fixture_split_part,
)
from dbt.tests.adapter.utils.data_types.test_type_bigint import BaseTypeBigInt
from dbt.tests.adapter.utils.data_types.test_type_boolean import BaseTypeBoolean
from dbt.tests.adapter.utils.data_types.test_type_float import BaseTypeFloat
from dbt.tests.adapter.utils.data_types.test_type_int import BaseTypeInt
from dbt.tests.adapter.utils.data_types.test_type_numeric import BaseTypeNumeric
from dbt.tests.adapter.utils.data_types.test_type_string import BaseTypeString
from dbt.tests.adapter.utils.data_types.test_type_timestamp import BaseTypeTimestamp
from dbt.tests.adapter.utils.test_any_value import BaseAnyValue
from dbt.tests.adapter.utils.test_array_append import BaseArrayAppend
from dbt.tests.adapter.utils.test_array_concat import BaseArrayConcat
from dbt.tests.adapter.utils.test_array_construct import BaseArrayConstruct
from dbt.tests.adapter.utils.test_bool_or import BaseBoolOr
from dbt.tests.adapter.utils.test_cast import BaseCast
from dbt.tests.adapter.utils.test_cast_bool_to_text import BaseCastBoolToText
from dbt.tests.adapter.utils.test_concat import BaseConcat
from dbt.tests.adapter.utils.test_current_timestamp import BaseCurrentTimestampNaive
from dbt.tests.adapter.utils.test_date_trunc import BaseDateTrunc
from dbt.tests.adapter.utils.test_dateadd import BaseDateAdd
from dbt.tests.adapter.utils.test_datediff import BaseDateDiff
from dbt.tests.adapter.utils.test_equals import BaseEquals
from dbt.tests.adapter.utils.test_escape_single_quotes import (
    BaseEscapeSingleQuotesBackslash,
    BaseEscapeSingleQuotesQuote,
)
from dbt.tests.adapter.utils.test_except import BaseExcept
from dbt.tests.adapter.utils.test_generate_series import BaseGenerateSeries
from dbt.tests.adapter.utils.test_get_powers_of_two import BaseGetPowersOfTwo
from dbt.tests.adapter.utils.test_hash import BaseHash
from dbt.tests.adapter.utils.test_intersect import BaseIntersect
from dbt.tests.adapter.utils.test_last_day import BaseLastDay
from dbt.tests.adapter.utils.test_length import BaseLength
from dbt.tests.adapter.utils.test_listagg import BaseListagg
from dbt.tests.adapter.utils.test_null_compare import BaseMixedNullCompare, BaseNullCompare
from dbt.tests.adapter.utils.test_position import BasePosition
from dbt.tests.adapter.utils.test_replace import BaseReplace
from dbt.tests.adapter.utils.test_right import BaseRight
from dbt.tests.adapter.utils.test_safe_cast import BaseSafeCast
from dbt.tests.adapter.utils.test_source_freshness_custom_info import BaseCalculateFreshnessMethod
from dbt.tests.adapter.utils.test_split_part import BaseSplitPart
from dbt.tests.adapter.utils.test_string_literal import BaseStringLiteral
from dbt.tests.adapter.utils.test_timestamps import BaseCurrentTimestamps
from dbt.tests.adapter.utils.test_validate_sql import BaseValidateSqlMethod

pytestmark = pytest.mark.adapter_suite


class TestAnyValue(BaseAnyValue):
    pass


class TestArrayConstruct(BaseArrayConstruct):
    pass


class TestBoolOr(BaseBoolOr):
    pass


class TestCalculateFreshnessMethod(BaseCalculateFreshnessMethod):
    pass


class TestCast(BaseCast):
    pass


class TestCastBoolToText(BaseCastBoolToText):
    pass


class TestConcat(BaseConcat):
    pass


class TestCurrentTimestampNaive(BaseCurrentTimestampNaive):
    pass


class TestDateTrunc(BaseDateTrunc):
    pass


class TestEquals(BaseEquals):
    pass


class TestEscapeSingleQuotesBackslash(BaseEscapeSingleQuotesBackslash):
    pass


class TestEscapeSingleQuotesQuote(BaseEscapeSingleQuotesQuote):
    pass


class TestExcept(BaseExcept):
    pass


class TestGenerateSeries(BaseGenerateSeries):
    pass


class TestGetPowersOfTwo(BaseGetPowersOfTwo):
    pass


class TestHash(BaseHash):
    pass


class TestIntersect(BaseIntersect):
    pass


class TestLength(BaseLength):
    pass


class TestListagg(BaseListagg):
    pass


class TestMixedNullCompare(BaseMixedNullCompare):
    pass


class TestNullCompare(BaseNullCompare):
    pass


class TestPosition(BasePosition):
    pass


class TestRight(BaseRight):
    pass


class TestSafeCast(BaseSafeCast):
    pass


class TestStringLiteral(BaseStringLiteral):
    pass


class TestValidateSqlMethod(BaseValidateSqlMethod):
    pass


class TestTypeBoolean(BaseTypeBoolean):
    pass


class TestTypeFloat(BaseTypeFloat):
    pass


class TestTypeInt(BaseTypeInt):
    pass


class TestTypeNumeric(BaseTypeNumeric):
    pass


class TestTypeString(BaseTypeString):
    pass


class TestTypeTimestamp(BaseTypeTimestamp):
    pass


def seed_types(seed: str, **columns: str) -> dict:
    """The seed's columns typed for ClickHouse: empty CSV cells are NULLs, so Nullable."""
    return {"name": "test", "seeds": {"test": {seed: {"+column_types": columns}}}}


class TestDateAddWithoutNullRow(BaseDateAdd):
    # upstream's last row is all NULLs; in ClickHouse that row makes dateadd's
    # multiIf cast NULL into a non-Nullable DateTime, so the seed here stops before it
    @pytest.fixture(scope="class")
    def seeds(self) -> dict:
        rows = fixture_dateadd.seeds__data_dateadd_csv.splitlines()
        return {"data_dateadd.csv": "\n".join(r for r in rows if not r.startswith(",")) + "\n"}


class TestDateDiffOnDateTimes(BaseDateDiff):
    # ClickHouse's dateDiff takes Date/DateTime, not strings: the seed's columns are typed
    # (upstream casts strings in the model), and sub-second parts are not in its range
    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict:
        return seed_types(
            "data_datediff",
            first_date="Nullable(DateTime)",
            second_date="Nullable(DateTime)",
            result="Nullable(Int64)",
        )

    @pytest.fixture(scope="class")
    def seeds(self) -> dict:
        rows = fixture_datediff.seeds__data_datediff_csv.splitlines()
        kept = [r for r in rows if "millisecond" not in r and "microsecond" not in r]
        return {"data_datediff.csv": "\n".join(kept) + "\n"}

    @pytest.fixture(scope="class")
    def models(self) -> dict:
        parts = ["second", "minute", "hour", "day", "week", "month", "year"]
        cases = "\n".join(
            f"when datepart = '{p}' then {{{{ datediff('first_date', 'second_date', '{p}') }}}}"
            for p in parts
        )
        sql = (
            "select case " + cases + " else null end as actual, result as expected "
            "from {{ ref('data_datediff') }}"
        )
        return {
            "test_datediff.yml": fixture_datediff.models__test_datediff_yml,
            "test_datediff.sql": self.interpolate_macro_namespace(sql, "datediff"),
        }


class TestLastDayNullable(BaseLastDay):
    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict:
        return seed_types("data_last_day", date_day="Nullable(Date)", result="Nullable(Date)")


class TestReplaceConstantPatterns(BaseReplace):
    # dbt-clickhouse's replace() quotes its arguments itself (ClickHouse's replaceAll takes
    # constant strings): it replaces text, not the values of other columns
    @pytest.fixture(scope="class")
    def models(self) -> dict:
        sql = """
select {{ replace('string_text', 'a', 'b') }} as actual, result as expected
from {{ ref('data_replace') }} where string_text = 'a'
union all
select {{ replace('string_text', 'http://', '') }} as actual, result as expected
from {{ ref('data_replace') }} where string_text like '%google%'
"""
        return {
            "test_replace.yml": fixture_replace.models__test_replace_yml,
            "test_replace.sql": self.interpolate_macro_namespace(sql, "replace"),
        }


class TestSplitPartConstantDelimiter(BaseSplitPart):
    # ClickHouse's splitByString takes a constant delimiter
    @pytest.fixture(scope="class")
    def models(self) -> dict:
        sql = "\nunion all\n".join(
            f"select {{{{ split_part('parts', \"'|'\", {n}) }}}} as actual, result_{n} as expected"
            " from {{ ref('data_split_part') }}"
            for n in (1, 2, 3)
        )
        return {
            "test_split_part.yml": fixture_split_part.models__test_split_part_yml,
            "test_split_part.sql": self.interpolate_macro_namespace(sql, "split_part"),
        }


class TestTypeBigInt(BaseTypeBigInt):
    # ClickHouse reads a positive literal as UInt64; a negative one is the signed Int64
    # that type_bigint() casts to
    @pytest.fixture(scope="class")
    def models(self) -> dict:
        actual = "select cast('-9223372036854775800' as {{ type_bigint() }}) as bigint_col"
        return {
            "expected.sql": "select -9223372036854775800 as bigint_col",
            "actual.sql": self.interpolate_macro_namespace(actual, "type_bigint"),
        }


# ClickHouse types an array literal by its smallest member type (Array(UInt8) for [1,2,3]);
# array_append/array_concat keep the Int32 of the appended value, so the expected arrays hold
# one value that only fits an Int32.
class TestArrayAppend(BaseArrayAppend):
    @pytest.fixture(scope="class")
    def models(self) -> dict:
        expected = (
            "select 1 as id, {{ array_construct([1,2,3,-77777777]) }} as array_col union all\n"
            "select 2 as id, {{ array_construct([4]) }} as array_col"
        )
        return {
            "actual.sql": fixture_array_append.models__array_append_actual_sql.replace(
                "4", "-77777777", 1
            ),
            "expected.sql": expected,
        }


class TestArrayConcat(BaseArrayConcat):
    @pytest.fixture(scope="class")
    def models(self) -> dict:
        expected = (
            "select 1 as id, {{ array_construct([1,2,3,4,5,-77777777]) }} as array_col union all\n"
            "select 2 as id, {{ array_construct([2]) }} as array_col union all\n"
            "select 3 as id, {{ array_construct([3]) }} as array_col"
        )
        return {
            "actual.sql": fixture_array_concat.models__array_concat_actual_sql.replace(
                "6]", "-77777777]", 1
            ),
            "expected.sql": expected,
        }


class TestCurrentTimestamps(BaseCurrentTimestamps):
    @pytest.fixture(scope="class")
    def expected_schema(self) -> dict:
        return dict.fromkeys(
            [
                "current_timestamp",
                "current_timestamp_in_utc_backcompat",
                "current_timestamp_backcompat",
            ],
            "DateTime",
        )

    @pytest.fixture(scope="class")
    def expected_sql(self) -> None:
        return None
