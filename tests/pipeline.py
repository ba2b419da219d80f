"""Run the pipeline's steps from tests, exactly as the CLI does, on a test's settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import chdb_engine
import psycopg

from campaign_analytics.settings import REPO_ROOT, Settings

# One advertiser with one campaign on two channels, and one audience (ids 1, 1-2, 1).
FIXED_ENTITIES = """
insert into advertisers (name, industry, country) values ('Acme', 'retail', 'US');
insert into channels (name) values ('Meta'), ('Google');
insert into campaigns (advertiser_id, name, objective, status, start_date, end_date,
                       total_budget, daily_budget, bid_strategy, bid_amount)
values (1, 'Spring', 'sales', 'active', '2026-11-01', '2026-11-30', 5000, 200, 'cpm', 4.5);
insert into campaign_channels (campaign_id, channel_id) values (1, 1), (1, 2);
insert into audiences (name, age_min, age_max, gender, interest) values ('All', 18, 65, 'all', 'x');
"""


def add_events(conn: psycopg.Connection, impressions: int) -> None:
    """``impressions`` new impressions, a click on every 25th, a conversion on every 5th click."""
    conn.execute(
        """
        insert into impressions (campaign_id, channel_id, audience_id, user_id, served_at, cost)
        select 1, 1 + g %% 2, 1, g %% 5000,
               timestamptz '2026-11-10' + g * interval '1 second', 0.0045
        from generate_series(1, %s) g
        """,
        (impressions,),
    )
    conn.execute(
        """
        insert into clicks (impression_id, impression_served_at, clicked_at, cost)
        select id, served_at, served_at + interval '3 second', 0.25
        from impressions i where id % 25 = 0
          and not exists (select from clicks c where c.impression_id = i.id)
        """
    )
    conn.execute(
        """
        insert into conversions (click_id, click_clicked_at, converted_at, conversion_type, revenue)
        select id, clicked_at, clicked_at + interval '1 hour', 'purchase', 19.99
        from clicks k where id % 5 = 0
          and not exists (select from conversions v where v.click_id = k.id)
        """
    )


def env_for(settings: Settings) -> dict[str, str]:
    """The environment that points a CLI or make subprocess at ``settings``."""
    return os.environ | {
        "TZ": "UTC",
        "CA_DATA_DIR": str(settings.data_dir),
        "POSTGRES_DSN": settings.postgres_dsn or "",
        "CHDB_PATH": str(settings.chdb_path),
        "CLICKHOUSE_RAW_DATABASE": settings.raw_database,
        "CLICKHOUSE_DATABASE": settings.analytics_database,
        "DBT_TARGET_PATH": str(settings.dbt_target_path),
    }


def cli(settings: Settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``campaign-analytics <args>`` in a subprocess, on ``settings`` (plus ``env``)."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("campaign-analytics")), *args],
        env=env_for(settings) | env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def make(settings: Settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``make <args>`` in the repository, on ``settings`` (the path a user takes)."""
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        env=env_for(settings) | env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


# make's own `make: *** [Makefile:N: target] Error 1` (`make[1]: ...` when make runs in make)
MAKE_SAYS = re.compile(r"make(\[\d+\])?: ")


def one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Assert ``result`` failed with exactly one ``error: ...`` line on stderr; return it."""
    assert result.returncode != 0, result.stdout + result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if not MAKE_SAYS.match(line)]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def load(settings: Settings, *, full_refresh: bool = False) -> Any:
    from campaign_analytics.postgres import source_dsn
    from dlt_pipelines import load as dlt_load

    with chdb_engine.held(settings.chdb_path):
        return dlt_load.run(settings, dsn=source_dsn(settings), full_refresh=full_refresh).pipeline


def dbt(settings: Settings, *args: str) -> Any:
    """``dbt <args>`` in this process (dbt's programmatic runner), failing the test on error."""
    from campaign_analytics.dbt_inprocess import failures, invoke

    result = invoke(settings, *args)
    if not result.success:
        raise AssertionError(f"dbt {' '.join(args)} failed: {result.exception} {failures(result)}")
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
