"""Bad configuration and unavailable engines: one line, non-zero exit, nothing written."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from campaign_analytics.settings import REPO_ROOT, Settings
from tests.pipeline import MAKE_SAYS


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
    tmp_path: Path, isolated: Settings
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
                "POSTGRES_DSN": isolated.postgres_dsn or "",
                "CHDB_LOCK_WAIT_SECONDS": "1",
            },
        )
        assert_one_line_error(result, f"in use by process {holder.pid}", "retry")
        assert time.monotonic() - started < 60
        # no dlt state or package was started (the pipeline directory's lock file aside)
        assert not (tmp_path / "dlt" / "ad_platform_to_clickhouse").exists()
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


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"POSTGRES_DSN": "garbage"}, "POSTGRES_DSN is not a PostgreSQL connection string"),
        ({"CA_DATA_DIR": "/proc/campaign-analytics"}, "is not a writable directory"),
        ({"CHDB_LOCK_WAIT_SECONDS": "abc"}, "CHDB_LOCK_WAIT_SECONDS='abc' is not a number"),
    ],
)
@pytest.mark.parametrize("command", ["load", "kpis", "dbt", "reconcile"])
def test_malformed_environment_is_one_line_for_every_command(
    env: dict[str, str], fragment: str, command: str, tmp_path: Path
) -> None:
    args = ["dbt", "build"] if command == "dbt" else [command]
    result = cli(*args, env={"CA_DATA_DIR": str(tmp_path)} | env)
    assert_one_line_error(result, fragment)
    if "POSTGRES_DSN" in env:
        assert "garbage" not in result.stderr, "a DSN may hold a password: never echo it"


def test_a_bad_lock_wait_does_not_break_help() -> None:
    result = cli("--help", env={"CHDB_LOCK_WAIT_SECONDS": "abc"})
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_an_unwritable_data_dir_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = cli("seed-demo", env={"CA_DATA_DIR": str(tmp_path / "file" / "data")})
    assert_one_line_error(result, "is not a writable directory", "set CA_DATA_DIR")


def test_transform_before_any_load_says_to_load_first(tmp_path: Path, admin_dsn: str) -> None:
    env = {"CA_DATA_DIR": str(tmp_path), "POSTGRES_DSN": admin_dsn}
    assert_one_line_error(cli("dbt", "build", env=env), "run `make load` first")
    # a chDB directory that exists (another database's data) but holds no raw tables
    import chdb_engine

    connection = chdb_engine.connect(tmp_path / "chdb", "other")
    connection.close()
    assert_one_line_error(
        cli("dbt", "build", env=env), "no raw data to transform", "run `make load` first"
    )


def test_docs_serve_on_a_taken_port_names_the_port_and_docs_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            ["make", "--no-print-directory", "docs-serve", f"DOCS_PORT={port}"],
            env=os.environ | {"CA_DATA_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=300,
            cwd=REPO_ROOT,
        )
    lines = [line for line in result.stderr.splitlines() if not MAKE_SAYS.match(line)]
    assert result.returncode != 0
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert f"port {port} is in use" in lines[0] and f"DOCS_PORT={port + 1}" in lines[0]


@pytest.mark.parametrize(
    ("command", "note"),
    [
        (["seed-generator", "stream", "--help"], "[default: (until Ctrl-C)]"),
        (["seed-generator", "batch", "--help"], "[default: (today, UTC)]"),
        (["campaign-analytics", "seed-demo", "--help"], "[default: 50000]"),
    ],
)
def test_help_keeps_its_default_notes(command: list[str], note: str) -> None:
    exe = Path(sys.executable).with_name(command[0])
    result = subprocess.run(
        [str(exe), *command[1:]],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ | {"COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    assert note in result.stdout, result.stdout


def test_the_suite_stops_the_postgresql_it_started() -> None:
    """`make test` must not leave its embedded PostgreSQL running (one cheap test, -n0)."""
    import shutil
    import tempfile

    from campaign_analytics import postgres

    # not under pytest's tmp_path: PostgreSQL runs as another user when we are root, and
    # pytest's directories are private to us
    tmp_path = Path(tempfile.mkdtemp(prefix="ca-suite-pg-"))
    tmp_path.chmod(0o755)

    env = {k: v for k, v in os.environ.items() if k != "POSTGRES_DSN"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-n0",
            "-p",
            "no:cacheprovider",
            "tests/seed_generator/test_seed_migrations.py::test_applies_every_migration_once",
        ],
        env=env | {"CA_TEST_DATA_DIR": str(tmp_path)},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        assert result.returncode == 0, result.stdout + result.stderr
        assert (tmp_path / "postgres" / "PG_VERSION").exists(), "the run used its own server"
        assert postgres._running_port(tmp_path / "postgres") is None, "and stopped it"
    finally:
        postgres.stop_embedded(tmp_path / "postgres")
        shutil.rmtree(tmp_path, ignore_errors=True)


def test_make_setup_says_what_it_does_on_a_fresh_environment(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    result = subprocess.run(
        ["make", "--no-print-directory", "setup"],
        # a new environment from uv's cache; compiling it would only add time here
        env=os.environ | {"UV_PROJECT_ENVIRONMENT": str(venv), "UV_COMPILE_BYTECODE": "0"},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"installing the locked Python environment into {venv}" in result.stdout
    assert (venv / "bin" / "campaign-analytics").exists()
    again = subprocess.run(
        ["make", "--no-print-directory", "setup"],
        env=os.environ | {"UV_PROJECT_ENVIRONMENT": str(venv), "UV_COMPILE_BYTECODE": "0"},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0 and again.stdout == "", "quiet once installed"
