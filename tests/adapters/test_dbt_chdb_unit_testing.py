"""dbt-tests-adapter's unit-testing suites on dbt-chdb (dbt unit tests: mocked inputs, expected
rows, run by dbt-clickhouse's `unit` materialization). Long: runs in .ci/run."""

from __future__ import annotations

import pytest
from dbt.tests.adapter.unit_testing.test_case_insensitivity import BaseUnitTestCaseInsensivity
from dbt.tests.adapter.unit_testing.test_invalid_input import BaseUnitTestInvalidInput
from dbt.tests.adapter.unit_testing.test_quoted_reserved_word_column_names import (
    BaseUnitTestQuotedReservedWordColumnNames,
)
from dbt.tests.adapter.unit_testing.test_types import BaseUnitTestingTypes

pytestmark = pytest.mark.adapter_suite


class TestUnitTestingTypes(BaseUnitTestingTypes):
    @pytest.fixture
    def data_types(self) -> list[list[str]]:
        # (SQL literal, the same value in a unit test's YAML). ClickHouse spells upstream's
        # `'...'::json` as JSON and has no `-0` offset suffix on timestamps.
        return [
            ["1", "1"],
            ["'1'", "1"],
            ["true", "true"],
            ["DATE '2020-01-02'", "2020-01-02"],
            ["TIMESTAMP '2013-11-03 00:00:00'", "2013-11-03 00:00:00"],
            ["toDateTime('2013-11-03 00:00:00', 'UTC')", "2013-11-03 00:00:00"],
            ["toDecimal64('1', 2)", "1"],
            ["toFloat64(7.77)", "7.77"],
            ["['a', 'b', 'c']", "['a', 'b', 'c']"],
        ]


class TestUnitTestCaseInsensitivity(BaseUnitTestCaseInsensivity):
    pass


class TestUnitTestInvalidInput(BaseUnitTestInvalidInput):
    pass


class TestUnitTestQuotedReservedWordColumnNames(BaseUnitTestQuotedReservedWordColumnNames):
    pass
