"""`make load`: check both ends, run the dlt pipeline, reconcile, print what moved.

Every way a load can go wrong that a user can fix ends here as one line naming the problem
and the command that repairs it; the pipeline's working directory is locked for the whole run.
"""

from __future__ import annotations

import contextlib
import re
import sys
import time
import traceback
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import chdb_engine
import dlt
import psycopg
from rich.console import Console
from rich.table import Table

from campaign_analytics import postgres
from campaign_analytics.captured_stderr import captured_stderr
from campaign_analytics.errors import UserFacingError, one_line, root_cause
from campaign_analytics.locking import exclusive
from campaign_analytics.settings import Settings
from dlt_pipelines import load, local_state, reconcile, source_checks


class LoadFailedError(UserFacingError):
    """A dlt step failed; the pending load package is finished by the next run."""


class LoadInterruptedError(UserFacingError):
    """The load was interrupted (Ctrl-C, SIGTERM); the next run finishes what it left."""

    exit_code = 130  # 128 + SIGINT, as a shell reports an interrupted command


class ReconciliationError(UserFacingError):
    """ClickHouse raw does not equal PostgreSQL."""


class NothingLoadedError(UserFacingError):
    """Nothing has been loaded into ClickHouse raw yet."""


def _interrupted(error: BaseException) -> bool:
    """Whether a KeyboardInterrupt (Ctrl-C, or dlt's signal exception) is behind ``error``.

    dlt may wrap it, or raise a second error while unwinding its context managers, in which
    case the interrupt is only the ``__context__`` of what reaches us.
    """
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, KeyboardInterrupt):
            return True
        for nested in (getattr(current, "exception", None), current.__cause__, current.__context__):
            if isinstance(nested, BaseException):
                pending.append(nested)
    return False


def _config(key: str) -> object:
    return dlt.config[f"sources.ad_platform.{key}"]


def _specs() -> list[reconcile.TableSpec]:
    return reconcile.table_specs(*load.source_tables())


def _tables() -> list[str]:
    return [spec.name for spec in _specs()]


@contextlib.contextmanager
def _pipeline_lock(settings: Settings) -> Iterator[None]:
    """One load (or reconciliation) at a time in the pipeline's working directory."""

    def busy(pid: str) -> str:
        return (
            f"another load is running (pid {pid}) in {load.working_dir(settings)}; wait for it "
            "to finish (or stop it), then retry"
        )

    lock_file = settings.dlt_pipelines_dir / f".{load.PIPELINE_NAME}.lock"
    with exclusive(lock_file, settings.lock_wait_seconds, busy):
        yield


def _engine_held(settings: Settings) -> contextlib.AbstractContextManager[object]:
    """The embedded engine kept running for the whole load: dlt opens and closes its
    connection about six times a run, and each close of the last one shuts chDB down.
    Taken after the pipeline lock, so a second load names the first as a load."""
    if settings.target != "embedded":
        return contextlib.nullcontext()
    return chdb_engine.held(settings.chdb_path, settings.lock_wait_seconds)


def _preflight(settings: Settings) -> str:
    """Fail fast, with a one-line reason, before dlt starts a package; returns the DSN."""
    settings.ensure_data_dir()
    with postgres.connect(settings) as conn:
        source_checks.check_tables(conn, str(_config("schema")), _tables())
    return postgres.source_dsn(settings)


def _open_pipeline(settings: Settings, *, restore_state: bool) -> dlt.Pipeline:
    working_dir = load.working_dir(settings)
    if restore_state:
        local_state.remove(working_dir)
    else:
        local_state.check_readable(working_dir)
    try:
        return load.pipeline(settings)
    except ValueError as error:  # a state or schema file dlt cannot use (valid JSON)
        raise local_state.corrupt(
            working_dir, f"dlt cannot read its local state in {working_dir} ({one_line(error)})"
        ) from error


def _failure(
    step: str | None, error: BaseException, log: Path, *, pending: bool
) -> UserFacingError:
    """The one line for a failed run; ``pending``: it left a load package to complete."""
    where = f"dlt's {step} step" if step else "the load"
    rerun = (
        "run `make load` again: it first completes the load package this run left, then "
        "loads what is new"
        if pending
        else "nothing of this run was loaded: run `make load` again"
    )
    if _interrupted(error):
        return LoadInterruptedError(f"load interrupted during {where}; {rerun}")
    # connectorx words a lost connection as a Rust error dump: keep the OS's own message
    text = one_line(root_cause(error))
    text = next(iter(re.findall(r'message: "([^"]+)"', text)), text)
    # tokio-postgres (inside connectorx) says only `kind: Closed` when the server hung up
    lost = (
        "connection reset",
        "connection refused",
        "terminating connection",
        "closed the",
        "kind: closed",
    )
    if any(sign in text.lower() for sign in lost):
        return LoadFailedError(
            f"the connection to PostgreSQL was lost during {where} ({text[:160]}); check the "
            f"server, then {rerun.split(': ', 1)[-1]} (details: {log})"
        )
    return LoadFailedError(
        f"{where} failed: {text[:300]}; fix the cause, then {rerun.split(': ', 1)[-1]} "
        f"(details: {log})"
    )


def _run_pipeline(
    settings: Settings, p: dlt.Pipeline, dsn: str, *, full_refresh: bool
) -> load.LoadRun:
    """dlt's run, with what it writes to stderr held back (see captured_stderr)."""
    from dlt.common.exceptions import DltException

    log = settings.data_dir / "logs" / "load.log"
    error: UserFacingError | None = None
    with captured_stderr() as captured:
        try:
            result = load.run(settings, dsn=dsn, full_refresh=full_refresh, p=p)
        except BaseException as failed:
            # connectorx reports a lost connection as a PanicException (a BaseException)
            if not isinstance(failed, Exception | KeyboardInterrupt) and (
                type(failed).__name__ != "PanicException"
            ):
                raise
            step = getattr(failed, "step", None) if isinstance(failed, DltException) else None
            if type(failed).__name__ == "PanicException":
                step = "extract"  # connectorx runs in the extract step only
            error = _failure(step, failed, log, pending=p.has_pending_data)
            details = traceback.format_exc()
    if error is None:
        sys.stderr.write(captured.text)
        return result
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(captured.text + details)
    raise error


def _print_summary(result: load.LoadRun, settings: Settings, elapsed: float, console: Console):
    pipeline = result.pipeline
    if result.completed_pending:
        tables = ", ".join(result.pending_tables) or "no tables"
        count = len(result.completed_pending)
        console.print(
            f"completed {count} load package{'s' if count > 1 else ''} left by an interrupted "
            f"run ({tables})"
        )
    rows = load.table_summary(pipeline)
    if not rows:
        what = "no newer rows in the source" if result.completed_pending else "nothing new"
        console.print(f"dlt load into {settings.raw_database}: {what} ({elapsed:.1f}s)")
        return
    steps = ", ".join(f"{step} {s:.1f}s" for step, s in load.step_seconds(pipeline).items())
    table = Table(title=f"dlt load into {settings.raw_database}: {elapsed:.1f}s ({steps})")
    for name in ("table", "rows extracted", "rows loaded"):
        table.add_column(name, justify="left" if name == "table" else "right")
    for row in rows:
        table.add_row(row.table, f"{row.extracted:,}", f"{row.loaded:,}")
    console.print(table)


def _show(value: object) -> str:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    return str(value)


def _print_checks(checks: list[reconcile.TableCheck], console: Console) -> None:
    table = Table(title="reconciliation: PostgreSQL vs ClickHouse raw")
    for name in ("status", "table", "measure", "PostgreSQL", "ClickHouse"):
        numeric = name in {"PostgreSQL", "ClickHouse"}
        table.add_column(name, justify="right" if numeric else "left", no_wrap=True)
    for check in checks:
        # NULL counts are shown when there is one to show: 0 = 0 for every key is noise
        shown = [
            i
            for i, measure in enumerate(check.measures)
            if not measure.startswith("nulls(") or check.postgres[i] or check.clickhouse[i]
        ]
        for position, i in enumerate(shown):
            same = reconcile.same(check.postgres[i], check.clickhouse[i])
            table.add_row(
                "[green]ok[/green]" if same else "[red]MISMATCH[/red]",
                check.table if position == 0 else "",
                check.measures[i],
                _show(check.postgres[i]),
                _show(check.clickhouse[i]),
                end_section=position == len(shown) - 1,
            )
    console.print(table)


def reconcile_and_check(
    pipeline: dlt.Pipeline,
    settings: Settings,
    *,
    remove_deletes: bool,
    warn_only: bool,
    console: Console,
) -> list[reconcile.TableCheck]:
    specs = _specs()
    cursor = str(_config("cursor_column"))
    try:
        with postgres.connect(settings) as conn:
            checks = reconcile.compare(pipeline, conn, specs, cursor)
            # more rows in ClickHouse than in PostgreSQL: rows were deleted at the source
            if remove_deletes or any(c.clickhouse[0] > c.postgres[0] for c in checks):
                removed = reconcile.remove_hard_deletes(pipeline, conn, specs)
                if any(removed.values()):
                    counts = {table: len(ids) for table, ids in removed.items()}
                    console.print(f"removed rows deleted in PostgreSQL: {counts}")
                checks = reconcile.compare(pipeline, conn, specs, cursor)
            failed = [check for check in checks if not check.ok]
            advice = [reconcile.diagnose(conn, check, cursor) for check in failed]
    except psycopg.OperationalError as error:
        raise postgres.PostgresUnavailableError(
            f"lost the connection to PostgreSQL during the reconciliation ({one_line(error)}); "
            "check the server and run `make load` again"
        ) from error
    _print_checks(checks, console)
    if failed:
        message = "ClickHouse raw differs from PostgreSQL: " + "; ".join(advice)
        if not warn_only:
            raise ReconciliationError(message)
        console.print(f"[yellow]warning:[/yellow] {message}")
    return checks


def _loads_so_far(pipeline: dlt.Pipeline) -> int:
    with pipeline.sql_client() as client:
        table = client.make_qualified_table_name(pipeline.default_schema.loads_table_name)
        return int(client.execute_sql(f"SELECT count() FROM {table}")[0][0])


def run_and_report(
    settings: Settings,
    *,
    full_refresh: bool,
    console: Console,
    remove_deletes: bool = False,
    warn_only: bool = False,
    restore_state: bool = False,
) -> None:
    dsn = _preflight(settings)
    with _pipeline_lock(settings), _engine_held(settings):
        p = _open_pipeline(settings, restore_state=restore_state)
        if not full_refresh:
            # a full refresh re-creates every raw column from the source's current types
            with postgres.connect(settings) as conn:
                source_checks.check_nullability(
                    conn, str(_config("schema")), p, settings.raw_database
                )
        started = time.perf_counter()
        result = _run_pipeline(settings, p, dsn, full_refresh=full_refresh)
        _print_summary(result, settings, time.perf_counter() - started, console)
        every = int(dlt.config.get("reconcile.every_n_loads") or 0)
        # a run with no change makes no load package, and so does not count as a load
        load_info = p.last_trace.last_load_info
        loaded = bool(load_info and load_info.loads_ids)
        scheduled = every > 0 and loaded and _loads_so_far(p) % every == 0
        reconcile_and_check(
            p,
            settings,
            remove_deletes=remove_deletes or scheduled,
            warn_only=warn_only,
            console=console,
        )


def reconcile_only(settings: Settings, *, warn_only: bool, console: Console) -> None:
    _preflight(settings)
    with _pipeline_lock(settings), _engine_held(settings):
        p = _open_pipeline(settings, restore_state=False)
        if not p.default_schema_name:
            raise NothingLoadedError(
                f"nothing has been loaded into {settings.raw_database} yet; run `make load` first"
            )
        reconcile_and_check(p, settings, remove_deletes=True, warn_only=warn_only, console=console)
