"""dbt-tests-adapter's snapshot suites on dbt-chdb (the basic suite's check_cols and timestamp
snapshots run in test_dbt_chdb_basic.py). Long: runs in .ci/run.

Upstream's harness edits the snapshotted table with PostgreSQL statements; ClickHouse spells
them differently, so the helpers below are the same edits in ClickHouse SQL: `UPDATE` is a
mutation (`ALTER TABLE ... UPDATE`, synchronous in dbt-clickhouse's sessions), a table needs
an engine, and a column added with a NULL default is `Nullable`.

Not run: the new-record, column-name, multi-key and ephemeral hard-delete suites
(new_record_*.py, test_various_configs.py, test_ephemeral_snapshot_hard_deletes.py). Their
fixtures are PostgreSQL scripts (`md5()`, NULLs inserted into columns they create
non-Nullable) run verbatim; dbt-clickhouse's own suite does not run them either.
"""

from __future__ import annotations

import pytest
from dbt.tests.adapter.simple_snapshot.test_snapshot import BaseSimpleSnapshot, BaseSnapshotCheck
from dbt.tests.util import relation_from_name

pytestmark = pytest.mark.adapter_suite


class ClickHouseEdits:
    project: object

    def update_fact_records(self, updates: dict[str, str], where: str | None = None) -> None:
        table = relation_from_name(self.project.adapter, "fact")
        assignments = ", ".join(f"{field} = {value}" for field, value in updates.items())
        self.project.run_sql(f"alter table {table} update {assignments} where {where or '1 = 1'}")

    def create_fact_from_seed(self, where: str | None = None) -> None:
        fact = relation_from_name(self.project.adapter, "fact")
        seed = relation_from_name(self.project.adapter, "seed")
        self.project.run_sql(f"drop table if exists {fact}")
        self.project.run_sql(
            f"create table {fact} engine = MergeTree order by tuple() as "
            f"select * from {seed} where {where or '1 = 1'}"
        )

    def add_fact_column(self, column: str | None = None, definition: str | None = None) -> None:
        table = relation_from_name(self.project.adapter, "fact")
        self.project.run_sql(f"alter table {table} add column {column} Nullable(String)")


class TestSimpleSnapshot(ClickHouseEdits, BaseSimpleSnapshot):
    @pytest.fixture(scope="class")
    def dbt_profile_target(self, dbt_profile_target: dict) -> dict:
        # dbt-clickhouse finds hard deletes with `left join ... where right.key is null`,
        # which holds only under join_use_nulls = 1 (ClickHouse's default, on a server too, is
        # 0: a missing row reads as the key's default value). Same fix as on a server.
        return {**dbt_profile_target, "custom_settings": {"join_use_nulls": 1}}


class TestSnapshotCheck(ClickHouseEdits, BaseSnapshotCheck):
    pass
