"""Replication failure modes on real engines: kill -9 mid-load, hard deletes, full refresh."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from campaign_analytics.settings import REPO_ROOT, Settings
from tests.pipeline import add_events, cli, env_for

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
    assert failed.stderr.startswith(
        "error: ClickHouse raw differs from PostgreSQL: impressions holds other values"
    )
    assert "FULL_REFRESH=1" in failed.stderr
    warned = cli(isolated, "load", "--warn-only")
    assert warned.returncode == 0
    assert "warning:" in warned.stdout
