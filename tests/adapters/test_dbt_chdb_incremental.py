"""dbt-tests-adapter's incremental suites on dbt-chdb, for each strategy dbt-clickhouse offers.

dbt-clickhouse's strategies: `legacy` (its default: rebuild into a new table and exchange),
`delete+insert` (lightweight DELETE, then INSERT), `append`, `insert_overwrite` (replace the
partitions the new rows fall in) and `microbatch`. Long: runs in .ci/run.
"""

from __future__ import annotations

import pytest
from dbt.tests.adapter.basic.test_incremental import BaseIncremental
from dbt.tests.adapter.incremental import test_incremental_unique_id as unique_id
from dbt.tests.adapter.incremental.test_incremental_microbatch import BaseMicrobatch
from dbt.tests.adapter.incremental.test_incremental_predicates import BaseIncrementalPredicates

pytestmark = pytest.mark.adapter_suite

# The expected relations of the unique-key suite, typed for ClickHouse: upstream unions a
# Date with strings (a Variant here) and NULL into a non-Nullable column (the seed's empty
# city loads as '').
VISITS = [
    ("CT", "Hartford", "Hartford", "2022-02-14"),
    ("MA", "Suffolk", "Boston", "2020-02-12"),
    ("NJ", "Mercer", "Trenton", "2022-01-01"),
    ("NY", "Kings", "Brooklyn", "2021-04-02"),
    ("NY", "New York", "Manhattan", "2021-04-01"),
    ("PA", "Philadelphia", "Philadelphia", "2021-05-21"),
    ("CO", "Denver", "", "2021-06-18"),
]
EXPECTED_VISITS_SQL = "{{ config(materialized='table') }}\n" + "\nunion all\n".join(
    f"select '{state}' as state, '{county}' as county, '{city}' as city, "
    f"toDate('{day}') as last_visit_date"
    for state, county, city, day in VISITS
)


def strategy(name: str) -> dict:
    return {"models": {"+incremental_strategy": name}}


class UniqueKeyOnClickHouse(unique_id.BaseIncrementalUniqueKey):
    @pytest.fixture(scope="class")
    def models(self) -> dict:
        names = [
            "trinary_unique_key_list",
            "nontyped_trinary_unique_key_list",
            "unary_unique_key_list",
            "not_found_unique_key",
            "empty_unique_key_list",
            "no_unique_key",
            "empty_str_unique_key",
            "str_unique_key",
            "duplicated_unary_unique_key_list",
            "not_found_unique_key_list",
        ]
        return {
            **{f"{name}.sql": getattr(unique_id, f"models__{name}_sql") for name in names},
            "expected": {
                "one_str__overwrite.sql": EXPECTED_VISITS_SQL,
                "unique_key_list__inplace_overwrite.sql": EXPECTED_VISITS_SQL,
            },
        }


class TestUniqueKeyLegacy(UniqueKeyOnClickHouse):
    """dbt-clickhouse's default strategy."""


class TestUniqueKeyDeleteInsert(UniqueKeyOnClickHouse):
    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict:
        return strategy("delete+insert")


class TestAppend(BaseIncremental):
    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict:
        return {"name": "incremental", **strategy("append")}


class TestInsertOverwrite(BaseIncremental):
    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict:
        # each new id is a partition of its own, so the replaced partitions are the new rows'
        return {
            "name": "incremental",
            "models": {"+incremental_strategy": "insert_overwrite", "+partition_by": "id"},
        }


class TestDeleteInsertPredicates(BaseIncrementalPredicates):
    pass


class TestMicrobatch(BaseMicrobatch):
    pass
