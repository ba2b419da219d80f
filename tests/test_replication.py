"""Replication failure modes on real engines: kill -9 mid-load, hard deletes, full refresh."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from campaign_analytics.settings import REPO_ROOT, Settings, load_settings
from seed_generator.migrations import apply_migrations

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
        select id, served_at, served_at + interval '3 second', 0
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


@pytest.fixture
def isolated(make_database, tmp_path: Path) -> Settings:
    """Settings with a chDB directory of their own: the CLI runs in subprocesses."""
    settings = load_settings(
        {
            "CA_DATA_DIR": str(tmp_path),
            "POSTGRES_DSN": make_database(),
            "CHDB_PATH": str(tmp_path / "chdb"),
        }
    )
    with psycopg.connect(settings.postgres_dsn) as conn:
        apply_migrations(conn)
        conn.execute(FIXED_ENTITIES)
    return settings


def env_for(settings: Settings) -> dict[str, str]:
    return os.environ | {
        "TZ": "UTC",
        "CA_DATA_DIR": str(settings.data_dir),
        "POSTGRES_DSN": settings.postgres_dsn or "",
        "CHDB_PATH": str(settings.chdb_path),
    }


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("campaign-analytics")), *args],
        env=env_for(settings),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


PHASE_MARKERS = {
    # dlt's working folders: a package being extracted, normalized, loaded
    "extract": "normalize/extracted/*/new_jobs/*",
    "normalize": "load/new/*/new_jobs/*",
    "load": "load/normalized/*/completed_jobs/*",
}


def kill_during(settings: Settings, phase: str) -> None:
    """Start `campaign-analytics load` and SIGKILL it once dlt is inside ``phase``."""
    working_dir = settings.dlt_pipelines_dir / "ad_platform_to_clickhouse"
    log = settings.data_dir / f"killed-during-{phase}.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("campaign-analytics")), "load"],
            env=env_for(settings),
            cwd=REPO_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and process.poll() is None:
            if any(working_dir.glob(PHASE_MARKERS[phase])):
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL, (
        f"load ended before the {phase} phase: {log.read_text()[-2000:]}"
    )


def test_load_killed_in_each_phase_then_rerun_equals_source(isolated: Settings) -> None:
    for phase in ("extract", "normalize", "load"):
        with psycopg.connect(isolated.postgres_dsn) as conn:
            add_events(conn, 60_000)
        kill_during(isolated, phase)
    result = cli(isolated, "load")
    # the reconciliation after the load compares counts, money sums and max cursor per table
    assert result.returncode == 0, result.stdout + result.stderr
    assert "MISMATCH" not in result.stdout
    assert "impressions" in result.stdout and "180000" in result.stdout


def test_hard_deletes_and_full_refresh(isolated: Settings) -> None:
    with psycopg.connect(isolated.postgres_dsn) as conn:
        add_events(conn, 2_000)
    assert cli(isolated, "load").returncode == 0
    with psycopg.connect(isolated.postgres_dsn) as conn:
        conn.execute("delete from conversions")
        conn.execute("delete from clicks where id % 2 = 0")
        conn.execute("update campaigns set deleted_at = now()")
    # more rows in ClickHouse than in PostgreSQL: the load reconciles primary keys itself
    result = cli(isolated, "load")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "'conversions': 16" in " ".join(result.stdout.split())
    assert "MISMATCH" not in result.stdout

    result = cli(isolated, "load", "--full-refresh")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "MISMATCH" not in result.stdout


def test_mismatch_fails_the_load_unless_warn_only(isolated: Settings) -> None:
    with psycopg.connect(isolated.postgres_dsn) as conn:
        add_events(conn, 1_000)
    assert cli(isolated, "load").returncode == 0
    # a change dlt cannot see: the cursor column is not touched
    with psycopg.connect(isolated.postgres_dsn) as conn:
        conn.execute("alter table impressions disable trigger impressions_set_updated_at")
        conn.execute("update impressions set cost = cost * 2 where id <= 10")
    failed = cli(isolated, "load")
    assert failed.returncode == 1
    assert "MISMATCH" in failed.stdout
    assert failed.stderr.startswith("error: ClickHouse raw differs from PostgreSQL in impressions")
    warned = cli(isolated, "load", "--warn-only")
    assert warned.returncode == 0
    assert "warning:" in warned.stdout
