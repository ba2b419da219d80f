"""Bad configuration and unavailable engines: one line, non-zero exit, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from campaign_analytics.settings import REPO_ROOT


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("campaign-analytics")
    return subprocess.run(
        [str(exe), *args],
        env=os.environ | {"TZ": "UTC"} | env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_load_with_unreachable_postgres_fails_cleanly(tmp_path: Path) -> None:
    chdb_path = tmp_path / "chdb"
    result = cli(
        "load",
        env={
            "CA_DATA_DIR": str(tmp_path),
            "CHDB_PATH": str(chdb_path),
            # a port nothing listens on
            "POSTGRES_DSN": "postgresql://nobody@127.0.0.1:9/ads",
        },
    )
    assert_one_line_error(result, "cannot connect to PostgreSQL", "POSTGRES_DSN")
    assert not chdb_path.exists(), "nothing may be written when the source is down"
    assert not (tmp_path / "dlt").exists()


def test_load_with_chdb_held_by_another_process_names_the_holder(
    tmp_path: Path, admin_dsn: str
) -> None:
    chdb_path = tmp_path / "chdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, chdb; c = chdb.connect(sys.argv[1]); print('ready', flush=True);"
            " time.sleep(60)",
            str(chdb_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"TZ": "UTC"},
    )
    try:
        assert holder.stdout and holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        result = cli(
            "load",
            env={
                "CA_DATA_DIR": str(tmp_path),
                "CHDB_PATH": str(chdb_path),
                "POSTGRES_DSN": admin_dsn,
                "CHDB_LOCK_WAIT_SECONDS": "1",
            },
        )
        assert_one_line_error(result, f"in use by process {holder.pid}", "retry")
        assert time.monotonic() - started < 60
        assert not (tmp_path / "dlt").exists()
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"CA_TARGET": "cloud"}, "CA_TARGET='cloud' is not a target"),
        ({"CA_TARGET": "server", "POSTGRES_DSN": ""}, "needs POSTGRES_DSN"),
        ({"CLICKHOUSE_RAW_DATABASE": "default"}, "not Atomic"),
        ({"CLICKHOUSE_HTTP_PORT": "eighty"}, "CLICKHOUSE_HTTP_PORT='eighty' is not a port"),
    ],
)
def test_bad_settings_are_one_line_errors(env: dict[str, str], fragment: str) -> None:
    assert_one_line_error(cli("kpis", env=env), fragment)
