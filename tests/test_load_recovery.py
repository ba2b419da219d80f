"""Recovery paths of `make load` do what they say, on real engines.

Each test breaks something the way a user can (deleted raw rows, corrupt dlt state, a second
load, Ctrl-C, a schema change upstream) and checks the data afterwards, not only the message.
The process-level paths (make, signals, concurrency) run in subprocesses; the rest call the
loader in this process (on the session's chDB directory) to keep the suite fast.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from rich.console import Console

from campaign_analytics.errors import UserFacingError
from campaign_analytics.settings import REPO_ROOT, Settings
from dlt_pipelines import load as dlt_load
from dlt_pipelines.run import _failure, reconcile_only, run_and_report
from seed_generator.migrations import apply_migrations
from tests.pipeline import (
    FIXED_ENTITIES,
    add_events,
    cli,
    clickhouse_rows,
    env_for,
    make,
    one_line_error,
    postgres_rows,
)

EVENTS = ("impressions", "clicks", "conversions")


@pytest.fixture
def source(settings: Settings) -> Settings:
    """A test's own source (schema, one campaign, 1,000 impressions) on the session's chDB."""
    assert settings.postgres_dsn
    with psycopg.connect(settings.postgres_dsn) as conn:
        apply_migrations(conn)
        conn.execute(FIXED_ENTITIES)
        add_events(conn, 1_000)
    return settings


def load(settings: Settings, **options: bool) -> str:
    """`campaign-analytics load` in this process; returns what it printed."""
    with Path("/dev/null").open("w") as nowhere:
        console = Console(record=True, width=200, file=nowhere)
        run_and_report(settings, full_refresh=False, console=console, **options)
    return console.export_text()


def raw(settings: Settings, sql: str) -> list[tuple]:
    return clickhouse_rows(settings, sql.format(raw=f"{settings.raw_database}.ad_platform_"))


def assert_raw_equals_source(settings: Settings) -> None:
    for table in EVENTS:
        (ch_rows, ch_ids) = raw(settings, f"select count(), sum(id) from {{raw}}_{table} final")[0]
        (pg_rows, pg_ids) = postgres_rows(settings, f"select count(*), sum(id) from {table}")[0]
        assert (ch_rows, ch_ids) == (pg_rows, pg_ids), table


# -- 1. `make load FULL_REFRESH=1` rebuilds the tables dbt reads ------------------------------


def test_make_load_full_refresh_rebuilds_the_raw_tables(isolated: Settings) -> None:
    with psycopg.connect(isolated.postgres_dsn) as conn:
        add_events(conn, 2_000)
    assert make(isolated, "load").returncode == 0
    raw(isolated, "delete from {raw}_impressions where id <= 500")
    assert raw(isolated, "select count() from {raw}_impressions final") == [(1_500,)]

    plain = make(isolated, "load")
    one_line_error(plain, "impressions has 500 fewer rows", "make load FULL_REFRESH=1")

    rebuilt = make(isolated, "load", "FULL_REFRESH=1")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert_raw_equals_source(isolated)
    # dlt's dev mode would have loaded a copy into raw.ad_platform_<timestamp>__*
    datasets = raw(
        isolated,
        "select distinct splitByString('__', name)[1] from system.tables "
        f"where database = '{isolated.raw_database}'",
    )
    assert sorted(d for (d,) in datasets) == ["ad_platform", "ad_platform_staging"]


def test_no_bare_dlt_setting_leaks_in_from_the_environment(source: Settings, monkeypatch) -> None:
    for name in ("FULL_REFRESH", "DEV_MODE", "DATASET_NAME", "PIPELINE_NAME", "REFRESH"):
        monkeypatch.setenv(name, "drop_sources" if name == "REFRESH" else "1")
    pipeline = dlt_load.pipeline(source)
    assert (pipeline.dev_mode, pipeline.dataset_name) == (False, "ad_platform")
    assert pipeline.pipeline_name == dlt_load.PIPELINE_NAME


# -- 2. the mismatch error's advice follows what the check saw --------------------------------


def test_fewer_rows_in_clickhouse_advise_the_full_refresh(source: Settings) -> None:
    load(source)
    raw(source, "delete from {raw}_clicks where id <= 5")
    with pytest.raises(UserFacingError, match="clicks has 5 fewer rows") as failed:
        load(source)
    assert "FULL_REFRESH=1" in str(failed.value) and "--reconcile" not in str(failed.value)
    load(source, warn_only=True)  # reports, exits 0: nothing repaired, nothing worse
    assert raw(source, "select count() from {raw}_clicks final") == [(35,)]


def test_rows_written_after_the_load_read_advise_a_rerun(source: Settings) -> None:
    assert source.postgres_dsn
    load(source)
    # a transaction that stays open holds the commit horizon back: rows committed after it
    # started are left for the next load, exactly as rows written during a load would be
    with psycopg.connect(source.postgres_dsn) as holder, holder.transaction():
        holder.execute("select 1")
        with psycopg.connect(source.postgres_dsn) as writer:
            add_events(writer, 100)
        with pytest.raises(UserFacingError, match="written in PostgreSQL after this load read"):
            load(source)
    assert "nothing new" not in load(source)  # horizon released: the rows arrive
    assert_raw_equals_source(source)


def test_rows_stamped_in_the_future_are_named_with_the_fix(source: Settings) -> None:
    assert source.postgres_dsn
    with psycopg.connect(source.postgres_dsn) as conn:
        conn.execute("alter table impressions disable trigger impressions_set_updated_at")
        conn.execute("update impressions set updated_at = '2999-01-01' where id in (3, 7)")
        conn.execute("alter table impressions enable trigger impressions_set_updated_at")
    with pytest.raises(UserFacingError) as failed:
        load(source)
    message = str(failed.value)
    assert "impressions has rows with updated_at in the future (ids 3, 7)" in message
    assert "update impressions set updated_at = now() where id in" in message
    # the advice works: fix the rows, load again, everything equal
    with psycopg.connect(source.postgres_dsn) as conn:
        conn.execute("update impressions set updated_at = now() where id in (3, 7)")
    load(source)
    assert_raw_equals_source(source)


# -- 3. corrupt dlt state ---------------------------------------------------------------------


@pytest.mark.parametrize("broken", ["state.json", "schemas/ad_platform.schema.json"])
def test_corrupt_local_state_names_the_file_and_restore_state_repairs_it(
    source: Settings, broken: str
) -> None:
    assert source.postgres_dsn
    load(source)
    path = dlt_load.working_dir(source) / broken
    path.write_text('{"truncated')
    with pytest.raises(UserFacingError, match="--restore-state") as failed:
        load(source)
    assert str(path) in str(failed.value)

    with psycopg.connect(source.postgres_dsn) as conn:
        add_events(conn, 300)
    printed = load(source, restore_state=True)
    assert_raw_equals_source(source)
    # the state came back from ClickHouse: the cursor is where the last load left it, so
    # only the new rows are extracted
    assert re.search(r"impressions\s+│\s+300\s+│", printed), printed
    assert "nothing new" in load(source)


# -- 4. two loads at once ---------------------------------------------------------------------


def test_a_second_load_waits_then_names_the_running_one(isolated: Settings) -> None:
    with psycopg.connect(isolated.postgres_dsn) as conn:
        add_events(conn, 300_000)
    first = subprocess.Popen(
        [str(Path(sys.executable).with_name("campaign-analytics")), "load"],
        env=env_for(isolated),
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = isolated.dlt_pipelines_dir / f".{dlt_load.PIPELINE_NAME}.lock"
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.01)
    second = cli(isolated, "load", CHDB_LOCK_WAIT_SECONDS="0.5")
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out + err
    one_line_error(second, f"another load is running (pid {first.pid})")
    assert_raw_equals_source(isolated)


# -- 5. Ctrl-C --------------------------------------------------------------------------------


def interrupt_when(settings: Settings, pattern: str) -> subprocess.CompletedProcess[str]:
    """Start `campaign-analytics load`, send SIGINT once ``pattern`` exists in dlt's dir."""
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("campaign-analytics")), "load"],
        env=env_for(settings),
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    working_dir = dlt_load.working_dir(settings)
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if any(working_dir.glob(pattern)):
            process.send_signal(signal.SIGINT)
            break
        time.sleep(0.002)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_ctrl_c_during_the_load_step_then_a_rerun_completes_the_package(
    isolated: Settings,
) -> None:
    with psycopg.connect(isolated.postgres_dsn) as conn:
        add_events(conn, 50_000)
    interrupted = interrupt_when(isolated, "load/normalized/*/started_jobs/*")
    assert interrupted.returncode == 130, interrupted.stdout + interrupted.stderr
    one_line_error(interrupted, "load interrupted during dlt's load step", "make load")
    rerun = cli(isolated, "load")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "completed 1 load package left by an interrupted run" in rerun.stdout
    assert "nothing new" not in rerun.stdout
    assert_raw_equals_source(isolated)


def test_ctrl_c_during_extract_says_what_the_rerun_will_do(isolated: Settings) -> None:
    for _ in range(5):
        with psycopg.connect(isolated.postgres_dsn) as conn:
            add_events(conn, 50_000)
        interrupted = interrupt_when(isolated, "normalize/extracted/*/new_jobs/*")
        if "during dlt's extract step" in interrupted.stderr + interrupted.stdout:
            break
        # on a busy machine the signal can land in a later step (a test of its own) or after
        # dlt's last check: then finish that load, check it is whole, and try again
        if interrupted.returncode != 0:
            finished = cli(isolated, "load")
            assert finished.returncode == 0, finished.stdout + finished.stderr
        assert_raw_equals_source(isolated)
    else:
        # the first package file appears when the extract commits, so on a loaded machine
        # the signal can land after dlt's last check every time (it did, 3 of 3 and 5 of 5,
        # in two CI runs): each late run was checked whole above
        pytest.skip("the signal landed after dlt's extract in every try on this machine")
    assert interrupted.returncode == 130, interrupted.stdout + interrupted.stderr
    line = one_line_error(interrupted, "load interrupted during dlt's extract step")
    # dlt may or may not have committed a package by then: the line says which it was
    working_dir = dlt_load.working_dir(isolated)
    left = any(working_dir.glob("normalize/extracted/*/")) or any(
        working_dir.glob("load/normalized/*/")
    )
    expected = "completes the load package this run left" if left else "nothing of this run"
    assert expected in line
    rerun = cli(isolated, "load")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert ("completed 1 load package" in rerun.stdout) == left
    assert_raw_equals_source(isolated)


# -- one line where a traceback was: sources and schemas --------------------------------------


def test_load_before_the_source_has_a_schema(settings: Settings) -> None:
    with pytest.raises(UserFacingError, match=r"has none of the source tables.*make seed"):
        load(settings)


def test_load_and_reconcile_with_a_table_dropped_upstream(source: Settings) -> None:
    assert source.postgres_dsn
    load(source)
    with psycopg.connect(source.postgres_dsn) as conn:
        conn.execute("drop table conversions")
    for command in ("load", "reconcile"):
        result = cli(source, command)
        one_line_error(result, "source table conversions missing", "config.toml")


def test_reconcile_before_any_load(source: Settings) -> None:
    one_line_error(cli(source, "reconcile"), "nothing has been loaded", "make load")


def test_a_key_that_became_nullable_stops_the_load_before_a_null_becomes_0(
    source: Settings,
) -> None:
    assert source.postgres_dsn
    load(source)
    with psycopg.connect(source.postgres_dsn) as conn:
        conn.execute("alter table impressions alter column audience_id drop not null")
        conn.execute(
            "insert into impressions (campaign_id, channel_id, audience_id, user_id, served_at,"
            " cost) values (1, 1, null, 1, '2026-11-20', 0.5)"
        )
    with pytest.raises(UserFacingError, match=r"impressions\.audience_id became nullable"):
        load(source)
    assert raw(source, "select count() from {raw}_impressions where audience_id = 0") == [(0,)]
    # the reconciliation counts NULLs per key column on both sides
    with pytest.raises(UserFacingError, match="1 rows with audience_id NULL in PostgreSQL"):
        reconcile_only(source, warn_only=False, console=Console(quiet=True))
    # the advice works: a full refresh re-creates the column as Nullable and keeps the NULL
    run_and_report(source, full_refresh=True, console=Console(quiet=True))
    nulls = raw(source, "select countIf(audience_id is null) from {raw}_impressions final")
    assert nulls == [(1,)]


def test_a_money_column_that_changes_type_stays_reconciled(source: Settings) -> None:
    assert source.postgres_dsn
    load(source)
    with psycopg.connect(source.postgres_dsn) as conn:
        conn.execute("alter table clicks alter column cost type double precision")
        add_events(conn, 100)
    with pytest.raises(UserFacingError) as failed:
        load(source)
    assert "clicks.cost was a numeric money column when first loaded" in str(failed.value)
    assert "double precision" in str(failed.value)


def test_postgres_going_away_mid_extract_is_one_line(isolated: Settings) -> None:
    with psycopg.connect(isolated.postgres_dsn) as conn:
        add_events(conn, 400_000)
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("campaign-analytics")), "load"],
        env=env_for(isolated),
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    killed = False
    with psycopg.connect(isolated.postgres_dsn, autocommit=True) as admin:
        deadline = time.monotonic() + 60
        while not killed and process.poll() is None and time.monotonic() < deadline:
            killed = bool(
                admin.execute(
                    "select pg_terminate_backend(pid) from pg_stat_activity where datname = "
                    "current_database() and pid <> pg_backend_pid() and state = 'active' "
                    "and query like 'COPY%impressions%'"
                ).fetchall()
            )
            time.sleep(0.01)
    out, err = process.communicate(timeout=120)
    assert killed, "the extract finished before its connection could be cut"
    result = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    one_line_error(result, "connection to PostgreSQL was lost", "make load")
    assert "panicked" not in err and "Traceback" not in err
    assert cli(isolated, "load").returncode == 0
    assert_raw_equals_source(isolated)


@pytest.mark.parametrize(
    "said",
    [
        # the first failed CI; the others are how PostgreSQL and libpq word a cut connection
        "cx writer failed: Source(PostgresError(Error { kind: Closed, cause: None }))",
        'Error { kind: Db, cause: Some(DbError { message: "terminating connection due to '
        'administrator command" }) }',
        "server closed the connection unexpectedly",
    ],
)
def test_every_wording_of_a_lost_connection_says_so(said: str, tmp_path: Path) -> None:
    failure = _failure("extract", RuntimeError(said), tmp_path / "load.log", pending=False)
    assert str(failure).startswith("the connection to PostgreSQL was lost during dlt's extract")
    assert "make load" in str(failure)
