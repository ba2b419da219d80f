"""`make load`: check both ends, run the dlt pipeline, reconcile, print what moved."""

from __future__ import annotations

import time
from datetime import datetime

import chdb_engine
import dlt
from rich.console import Console
from rich.table import Table

from campaign_analytics import postgres
from campaign_analytics.errors import UserFacingError, one_line
from campaign_analytics.settings import Settings
from dlt_pipelines import load, reconcile


class LoadFailedError(UserFacingError):
    """A dlt step failed; the pending load package is finished by the next run."""


class ReconciliationError(UserFacingError):
    """ClickHouse raw does not equal PostgreSQL."""


def _root_cause(error: BaseException) -> BaseException:
    seen = set()
    while id(error) not in seen:
        seen.add(id(error))
        nested = getattr(error, "exception", None) or error.__cause__
        if not isinstance(nested, BaseException):
            break
        error = nested
    return error


def _preflight(settings: Settings) -> str:
    """Fail fast, with a one-line reason, before dlt starts a package."""
    with postgres.connect(settings):
        pass
    if settings.target == "embedded":
        chdb_engine.wait_until_free(settings.chdb_path)
    return postgres.source_dsn(settings)


def _specs() -> list[reconcile.TableSpec]:
    return reconcile.table_specs(
        dlt.config["sources.ad_platform.dimension_tables"],
        dlt.config["sources.ad_platform.event_tables"],
    )


def _loads_so_far(pipeline: dlt.Pipeline) -> int:
    with pipeline.sql_client() as client:
        table = client.make_qualified_table_name(pipeline.default_schema.loads_table_name)
        return int(client.execute_sql(f"SELECT count() FROM {table}")[0][0])


def _print_summary(pipeline: dlt.Pipeline, settings: Settings, elapsed: float, console: Console):
    rows = load.table_summary(pipeline)
    if not rows:
        console.print(f"dlt load into {settings.raw_database}: nothing new ({elapsed:.1f}s)")
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
        for i, measure in enumerate(check.measures):
            same = reconcile.same(check.postgres[i], check.clickhouse[i])
            table.add_row(
                "[green]ok[/green]" if same else "[red]MISMATCH[/red]",
                check.table if i == 0 else "",
                measure,
                _show(check.postgres[i]),
                _show(check.clickhouse[i]),
                end_section=i == len(check.measures) - 1,
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
    with postgres.connect(settings) as conn:
        checks = reconcile.compare(
            pipeline, conn, specs, dlt.config["sources.ad_platform.cursor_column"]
        )
        # more rows in ClickHouse than live in PostgreSQL: rows were deleted at the source
        if remove_deletes or any(c.clickhouse[0] > c.postgres[0] for c in checks):
            removed = reconcile.remove_hard_deletes(pipeline, conn, specs)
            if any(removed.values()):
                console.print(f"removed rows deleted in PostgreSQL: {removed}")
            checks = reconcile.compare(
                pipeline, conn, specs, dlt.config["sources.ad_platform.cursor_column"]
            )
    _print_checks(checks, console)
    failed = [c.table for c in checks if not c.ok]
    if failed:
        message = (
            f"ClickHouse raw differs from PostgreSQL in {', '.join(failed)}; run "
            "`campaign-analytics load --reconcile` (or `make load FULL_REFRESH=1`)"
        )
        if not warn_only:
            raise ReconciliationError(message)
        console.print(f"[yellow]warning:[/yellow] {message}")
    return checks


def run_and_report(
    settings: Settings,
    *,
    full_refresh: bool,
    console: Console,
    remove_deletes: bool = False,
    warn_only: bool = False,
) -> None:
    from dlt.common.exceptions import DltException

    dsn = _preflight(settings)
    started = time.perf_counter()
    try:
        pipeline = load.run(settings, dsn=dsn, full_refresh=full_refresh)
    except DltException as error:
        step = getattr(error, "step", "pipeline")
        raise LoadFailedError(
            f"dlt {step} step failed: {one_line(_root_cause(error))[:400]}; fix the cause and "
            "re-run `make load` (a pending load package is completed, not duplicated)"
        ) from error
    _print_summary(pipeline, settings, time.perf_counter() - started, console)
    every = int(dlt.config.get("reconcile.every_n_loads") or 0)
    # a run with no change makes no load package, and so does not count as a load
    load_info = pipeline.last_trace.last_load_info
    loaded = bool(load_info and load_info.loads_ids)
    scheduled = every > 0 and loaded and _loads_so_far(pipeline) % every == 0
    reconcile_and_check(
        pipeline,
        settings,
        remove_deletes=remove_deletes or scheduled,
        warn_only=warn_only,
        console=console,
    )


def reconcile_only(settings: Settings, *, warn_only: bool, console: Console) -> None:
    _preflight(settings)
    reconcile_and_check(
        load.pipeline(settings),
        settings,
        remove_deletes=True,
        warn_only=warn_only,
        console=console,
    )
