"""Run the pipeline's steps from tests, exactly as the CLI does, on a test's settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import chdb_engine
import psycopg

from campaign_analytics.settings import DBT_PROJECT_DIR, Settings


def load(settings: Settings, *, full_refresh: bool = False) -> Any:
    from campaign_analytics.postgres import source_dsn
    from dlt_pipelines import load as dlt_load

    return dlt_load.run(settings, dsn=source_dsn(settings), full_refresh=full_refresh)


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def dbt(settings: Settings, *args: str) -> Any:
    """``dbt <args>`` in this process (dbt's programmatic runner), failing the test on error."""
    from dbt.cli.main import dbtRunner

    with _environment(settings.dbt_env()):
        result = dbtRunner().invoke(
            [
                *args,
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--target-path",
                str(settings.data_dir / "dbt_target"),
                "--log-path",
                str(settings.data_dir / "dbt_logs"),
                "--quiet",
            ]
        )
    if not result.success:
        failures = []
        for node in getattr(result.result, "results", None) or []:
            if str(node.status) not in {"success", "pass"}:
                failures.append(f"{node.node.unique_id}: {node.status}: {node.message}")
        raise AssertionError(f"dbt {' '.join(args)} failed: {result.exception} {failures}")
    return result


def clickhouse_rows(settings: Settings, sql: str) -> list[tuple]:
    """Rows of ``sql`` on the chDB engine (connection closed after, so others may open it)."""
    connection = chdb_engine.connect(settings.chdb_path, settings.raw_database)
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        connection.close()


def postgres_rows(settings: Settings, sql: str, params: Any = None) -> list[tuple]:
    assert settings.postgres_dsn
    with psycopg.connect(settings.postgres_dsn) as conn:
        return conn.execute(sql, params).fetchall()


def as_decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))
