"""A project using a ClickHouse-aware dbt package builds on dbt-chdb, with the documented
overrides (packages/dbt-chdb/README.md, "dbt packages").

dbt-chdb reports `target.type == 'chdb'` (dbt loads an adapter by the profile's type, and
`target.type` is that type), while `adapter.dispatch` searches `chdb__`, then `clickhouse__`,
then `default__`. So a package's dispatched macros take their ClickHouse versions unaided, and
its `target.type == 'clickhouse'` branches take the generic side until the project overrides
them. clickhouse_aware_package/ is such a package, built from the patterns of
dbt-project-evaluator and dbt_date (dbt Hub is not reachable here).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dbt.tests.util import run_dbt, run_dbt_and_capture

PACKAGE_DIR = Path(__file__).parent / "clickhouse_aware_package"
DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

# What a project on dbt-chdb adds for this package: the same settings its
# target.type == 'clickhouse' branches choose on a server.
OVERRIDES = {
    "dispatch": [{"macro_namespace": "dbt", "search_order": ["clickhouse_aware", "dbt"]}],
    "models": {"clickhouse_aware": {"+materialized": "table"}},
    "vars": {"clickhouse_aware": {"clickhouse_aware_depth": 4}},
    "seeds": {
        "clickhouse_aware": {
            "clickhouse_aware_exceptions": {
                "+column_types": {"model_name": "String", "reason": "String"}
            }
        }
    },
}


def relation_type(project, name: str) -> tuple:
    return project.run_sql(
        "select engine from system.tables "
        f"where database = '{project.test_schema}' and name = '{name}'",
        fetch="one",
    )


def column_types(project, name: str) -> dict[str, str]:
    rows = project.run_sql(
        "select name, type from system.columns "
        f"where database = '{project.test_schema}' and table = '{name}'",
        fetch="all",
    )
    return dict(rows)


class PackageProject:
    @pytest.fixture(scope="class")
    def packages(self) -> dict:
        return {"packages": [{"local": str(PACKAGE_DIR)}]}


class TestPackageAsIs(PackageProject):
    def test_dispatch_finds_clickhouse_macros_but_target_type_branches_do_not(
        self, project
    ) -> None:
        run_dbt(["deps"])
        run_dbt(["run"])
        rows = project.run_sql(
            "select day_name, depth from clickhouse_aware_days order by date_day", fetch="all"
        )
        assert [row[0] for row in rows] == DAY_NAMES  # clickhouse__day_name, by dispatch
        assert {row[1] for row in rows} == {-1}  # the var's generic branch
        assert relation_type(project, "clickhouse_aware_days") == ("View",)
        # the seed's column types take the generic branch: `string`, which ClickHouse lacks
        _, log = run_dbt_and_capture(["seed"], expect_pass=False)
        assert "string" in log and "UNKNOWN_TYPE" in log


class TestPackageWithTheDocumentedOverrides(PackageProject):
    @pytest.fixture(scope="class")
    def project_config_update(self) -> dict:
        return OVERRIDES

    def test_builds_as_on_a_clickhouse_target(self, project) -> None:
        run_dbt(["deps"])
        results = run_dbt(["build"])
        assert {r.node.name for r in results} == {
            "clickhouse_aware_days",
            "clickhouse_aware_exceptions",
        }
        rows = project.run_sql(
            "select day_name, depth from clickhouse_aware_days order by date_day", fetch="all"
        )
        assert [row[0] for row in rows] == DAY_NAMES
        assert {row[1] for row in rows} == {4}
        assert relation_type(project, "clickhouse_aware_days") == ("MergeTree",)
        # the package's shim of dbt.type_string, found through the dispatch config
        assert column_types(project, "clickhouse_aware_days")["kind"] == "LowCardinality(String)"
        assert column_types(project, "clickhouse_aware_exceptions") == {
            "model_name": "String",
            "reason": "String",
        }
