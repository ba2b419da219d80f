"""dbt-tests-adapter's model-contract suites on dbt-chdb (`contract: {enforced: true}`).

dbt checks a contracted model's column names and types before it builds it: each class below
builds tables, views and incremental models whose columns are right, misordered, misnamed or
mistyped. Upstream's fixtures type their columns as PostgreSQL does (`1 as id` is an integer
there, a UInt8 in ClickHouse; `timestamptz`, `text[]`, `::json`); here the same models carry
ClickHouse types. Long: runs in .ci/run.

Not run: the runtime-DDL, rollback, quoted-column, sql_header and foreign-key suites. Their
models are PostgreSQL-typed (they fail to build on any ClickHouse), and they compare
PostgreSQL's DDL text and foreign-key behaviour; dbt-clickhouse's own suite replaces them with
ClickHouse-DDL tests (tests/integration/adapter/constraints), not with these classes.
"""

from __future__ import annotations

import pytest
from dbt.tests.adapter.constraints.test_constraints import (
    BaseIncrementalConstraintsColumnsEqual,
    BaseTableConstraintsColumnsEqual,
    BaseViewConstraintsColumnsEqual,
)

pytestmark = pytest.mark.adapter_suite

CONTRACTED_COLUMNS = """
version: 2
models:
{models}
"""
CONTRACT = """
  - name: {name}
    config:
      contract:
        enforced: true
    columns:
      - name: id
        data_type: Int32
        constraints:
          - type: not_null
          - type: check
            expression: id > 0
      - name: color
        data_type: String
      - name: date_day
        data_type: String
"""


def contracted_models(materialized: str) -> dict[str, str]:
    config = f"{{{{ config(materialized='{materialized}'"
    if materialized == "incremental":
        config += ", on_schema_change='append_new_columns'"
    config += ") }}"
    return {
        # the columns in another order than the contract's: dbt builds them in its order
        "my_model_wrong_order.sql": f"{config}\n"
        "select 'blue' as color, toInt32(1) as id, '2019-01-01' as date_day",
        "my_model_wrong_name.sql": f"{config}\n"
        "select 'blue' as color, toInt32(1) as error, '2019-01-01' as date_day",
        "constraints_schema.yml": CONTRACTED_COLUMNS.format(
            models="".join(
                CONTRACT.format(name=name)
                for name in ("my_model_wrong_order", "my_model_wrong_name")
            )
        ),
    }


class ClickHouseTypes:
    @pytest.fixture
    def string_type(self) -> str:
        return "String"

    @pytest.fixture
    def int_type(self) -> str:
        return "Int32"

    @pytest.fixture
    def data_types(self) -> list[list[str]]:
        # SQL value, the contract's data_type, the type dbt's mismatch error names
        return [
            ["toInt32(1)", "Int32", "Int32"],
            ["'1'", "String", "String"],
            ["true", "Bool", "Bool"],
            ["toDateTime('2013-11-03 00:00:00', 'UTC')", "DateTime('UTC')", "DateTime('UTC')"],
            ["toDateTime64('2013-11-03 00:00:00', 3)", "DateTime64(3)", "DateTime64(3)"],
            ["['a','b','c']", "Array(String)", "Array(String)"],
            ["[toInt32(1), 2, 3]", "Array(Int32)", "Array(Int32)"],
            ["toDecimal64('1', 2)", "Decimal(18, 2)", "Decimal(18, 2)"],
        ]


class TestTableConstraintsColumnsEqual(ClickHouseTypes, BaseTableConstraintsColumnsEqual):
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return contracted_models("table")


class TestViewConstraintsColumnsEqual(ClickHouseTypes, BaseViewConstraintsColumnsEqual):
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return contracted_models("view")


class TestIncrementalConstraintsColumnsEqual(
    ClickHouseTypes, BaseIncrementalConstraintsColumnsEqual
):
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return contracted_models("incremental")
