"""dbt-tests-adapter's ephemeral suites on dbt-chdb (CTE-inlined models). Long: .ci/run.

Upstream compares the compiled view DDL with PostgreSQL's text (`create view "db"."schema"
."x__dbt_tmp"`); the same checks here expect dbt-clickhouse's DDL (`create or replace view`,
backquoted names): each ephemeral model is one CTE, shared by every reference to it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dbt.tests.adapter.ephemeral.test_ephemeral import (
    BaseEphemeralErrorHandling,
    BaseEphemeralMulti,
    BaseEphemeralNested,
)
from dbt.tests.util import check_relations_equal, run_dbt

pytestmark = pytest.mark.adapter_suite


def compiled_ddl(model: str) -> str:
    """The run's DDL for ``model``, without digits or whitespace, as upstream compares it."""
    text = Path(f"target/run/test/models/{model}.sql").read_text()
    return "".join(re.sub(r"\d+", "", text).split())


def squeeze(sql: str) -> str:
    return "".join(sql.split())


class TestEphemeralMulti(BaseEphemeralMulti):
    def test_ephemeral_multi(self, project) -> None:
        run_dbt(["seed"])
        assert len(run_dbt(["run"])) == 3
        for model in ("dependent", "double_dependent", "super_dependent"):
            check_relations_equal(project.adapter, ["seed", model])
        schema = re.sub(r"\d+", "", project.test_schema)
        assert compiled_ddl("double_dependent") == squeeze(
            f"create or replace view `{schema}`.`double_dependent` as ("
            f"with __dbt__cte__base as (select * from {schema}.seed),"
            " __dbt__cte__base_copy as (select * from `__dbt__cte__base`)"
            "-- base_copy just pulls from base. Make sure the listed"
            "-- graph of CTEs all share the same dbt_cte__base cte"
            "select * from `__dbt__cte__base` where gender = 'Male'"
            "union all"
            "select * from `__dbt__cte__base_copy` where gender = 'Female'"
            ") -- end_of_sql"
        )


class TestEphemeralNested(BaseEphemeralNested):
    def test_ephemeral_nested(self, project) -> None:
        assert len(run_dbt(["run"])) == 2
        schema = re.sub(r"\d+", "", project.test_schema)
        assert compiled_ddl("root_view") == squeeze(
            f"create or replace view `{schema}`.`root_view` as ("
            "with __dbt__cte__ephemeral_level_two as ("
            f"select * from `{schema}`.`source_table`),"
            " __dbt__cte__ephemeral as (select * from `__dbt__cte__ephemeral_level_two`)"
            "select * from `__dbt__cte__ephemeral`"
            ") -- end_of_sql"
        )


class TestEphemeralErrorHandling(BaseEphemeralErrorHandling):
    pass
