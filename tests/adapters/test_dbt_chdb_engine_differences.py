"""Where chDB differs from a ClickHouse server, dbt-chdb says so instead of failing a statement.

Each class answers one finding of dbt-clickhouse's integration suite run on dbt-chdb (its
grants, distributed-table, sql_header and query_log tests): grants are skipped with one
warning, distributed materializations and `cluster:` stop with the server target as the fix,
multi-statement queries are rejected as a server rejects them, and a query log is kept on
request. Plus the one setting where clickhouse-local and a server disagree (implicit_select).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from dbt.adapters.chdb.connections import ChdbCredentials
from dbt.tests.util import run_dbt, run_dbt_and_capture
from dbt_common.exceptions import DbtRuntimeError

GRANTED_MODEL = """
{{ config(materialized='table', grants={'select': ['reporting_user']}) }}
select 1 as id
"""


class TestGrantsAreSkippedWithOneWarning:
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {"granted_a.sql": GRANTED_MODEL, "granted_b.sql": GRANTED_MODEL}

    def test_models_build_and_one_warning_names_the_server_target(self, project) -> None:
        results, log = run_dbt_and_capture(["run"])
        assert len(results) == 2
        assert log.count("grants are not applied on the chdb target") == 1
        assert "`type: clickhouse` target" in log
        assert project.run_sql("select count() from granted_b", fetch="one") == (1,)


DISTRIBUTED_MODEL = """
{{ config(materialized='distributed_table', engine='MergeTree()', order_by='id') }}
select 1 as id
"""
DISTRIBUTED_INCREMENTAL_MODEL = """
{{ config(materialized='distributed_incremental', engine='MergeTree()', order_by='id') }}
select 1 as id
"""


class TestDistributedMaterializationsNameTheServerTarget:
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {
            "distributed.sql": DISTRIBUTED_MODEL,
            "distributed_incremental.sql": DISTRIBUTED_INCREMENTAL_MODEL,
        }

    @pytest.mark.parametrize("model", ["distributed", "distributed_incremental"])
    def test_run_stops_before_any_ddl(self, project, model: str) -> None:
        _, log = run_dbt_and_capture(["run", "-s", model], expect_pass=False)
        assert f"materialized='{model}_table'" in log or f"materialized='{model}'" in log
        assert "needs a ClickHouse cluster" in log
        assert "`type: clickhouse` target with `cluster:`" in log
        tables = project.run_sql(
            f"select count() from system.tables where database = '{project.test_schema}'",
            fetch="one",
        )
        assert tables == (0,)


def test_a_cluster_in_a_chdb_profile_is_refused() -> None:
    with pytest.raises(DbtRuntimeError, match="chDB is one embedded engine with no cluster"):
        ChdbCredentials(path="/tmp/unused", schema="analytics", cluster="company_cluster")


SQL_HEADER_MODEL = """
{{ config(materialized='table') }}
{% call set_sql_header(config) %}
set log_comment = 'from the header';
{%- endcall %}
select getSetting('log_comment') as comment
"""
SEMICOLON_IN_STRING_MODEL = """
{{ config(materialized='table') }}
select 'a;b' as value -- a comment; not a statement
"""


class TestMultiStatementQueriesAreRejectedAsOnAServer:
    @pytest.fixture(scope="class")
    def models(self) -> dict[str, str]:
        return {"with_header.sql": SQL_HEADER_MODEL, "semicolons.sql": SEMICOLON_IN_STRING_MODEL}

    def test_sql_header_with_a_statement_fails_like_a_server(self, project) -> None:
        # dbt-clickhouse's tests/integration/.../test_clickhouse_sql_header.py expects this
        _, log = run_dbt_and_capture(["run", "-s", "with_header"], expect_pass=False)
        assert "Multi-statements are not allowed" in log
        assert "run each statement on its own" in log

    def test_semicolons_inside_literals_and_comments_are_no_statements(self, project) -> None:
        run_dbt(["run", "-s", "semicolons"])
        assert project.run_sql("select value from semicolons", fetch="one") == ("a;b",)


class TestBareExpressionsAreNotQueries:
    def test_implicit_select_is_off_as_on_a_server(self, project) -> None:
        with pytest.raises(Exception, match="Syntax error"):
            project.run_sql("1 + 1", fetch="one")
        assert project.run_sql("select getSetting('implicit_select')", fetch="one") == (False,)


QUERY_LOG_SCRIPT = """
import json, sys
import clickhouse_connect
from dbt.cli.main import dbtRunner

project, engine = sys.argv[1], sys.argv[2]
result = dbtRunner().invoke(["run", "--project-dir", project, "--profiles-dir", project])
assert result.success, result.exception
# the engine has stopped with dbt's last connection; the table the hook wrote persists
client = clickhouse_connect.get_client(interface="chdb", path=engine)
logged = client.query(
    "SELECT count() FROM query_log_check.logged_queries WHERE position(query, {node:String}) > 0",
    {"node": '"node_id": "model.query_log_check.logged"'},
).result_rows[0][0]
print(json.dumps({"logged": logged}))
"""


def query_log_project(root: Path) -> Path:
    """A one-model project on a fresh engine directory, with `query_log: true`."""
    engine = root / "chdb"
    (root / "dbt_project.yml").write_text(
        textwrap.dedent(
            """
            name: query_log_check
            version: "1.0"
            config-version: 2
            profile: query_log_check
            on-run-end:
              - "SYSTEM FLUSH LOGS"
              - >
                create table logged_queries engine = MergeTree order by tuple() as
                select query from system.query_log where type = 'QueryFinish'
            """
        )
    )
    (root / "models").mkdir()
    (root / "models" / "logged.sql").write_text("select 1 as id")
    (root / "profiles.yml").write_text(
        textwrap.dedent(
            f"""
            query_log_check:
              target: embedded
              outputs:
                embedded:
                  type: chdb
                  path: {engine}
                  schema: query_log_check
                  query_log: true
                  threads: 1
            """
        )
    )
    return engine


def run_script(script: str, *args: Path) -> subprocess.CompletedProcess:
    # A process of its own: the engine reads its config only when it starts, and in this
    # process the suite's engine may already run.
    return subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# The query-log tests start dbt in a process of their own (~10 s each): .ci/run runs them.
@pytest.mark.adapter_suite
def test_query_log_true_keeps_system_query_log_during_the_run(tmp_path: Path) -> None:
    # dbt-clickhouse's test_adapter_response.py and projection tests read system.query_log.
    # The on-run-end hook reads the log while dbt still holds the engine. The model's
    # statements are found by dbt's query comment: chDB assigns its own query ids
    # (adapter_response.query_id never reaches the engine).
    engine = query_log_project(tmp_path)
    completed = run_script(QUERY_LOG_SCRIPT, tmp_path, engine)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    outcome = json.loads(completed.stdout.strip().splitlines()[-1])
    assert outcome["logged"] > 0, outcome


ENGINE_ALREADY_RUNNING_SCRIPT = """
import sys
import chdb
from dbt.cli.main import dbtRunner

project, engine = sys.argv[1], sys.argv[2]
held = chdb.connect(engine)  # started without a query log
result = dbtRunner().invoke(["run", "--project-dir", project, "--profiles-dir", project])
print("success" if result.success else "failed")
"""


@pytest.mark.adapter_suite
def test_query_log_true_warns_when_the_engine_already_runs_without_it(tmp_path: Path) -> None:
    engine = query_log_project(tmp_path)
    completed = run_script(ENGINE_ALREADY_RUNNING_SCRIPT, tmp_path, engine)
    output = completed.stdout + completed.stderr
    assert "query_log: true has no effect" in output, output[-3000:]
    # the on-run-end hook then fails on the missing table, as it would on a server without one
    assert completed.stdout.strip().splitlines()[-1] == "failed"
