"""``seed-generator``: fill the source PostgreSQL with realistic ad-platform data.

Every command connects through the project settings, applies pending migrations, and does
its work in one transaction together with them (``stream`` commits once per insert, after
migrating). Failures print one line on stderr: exit code 2 for a bad argument (nothing
written, not even the schema), 1 for anything else (database unreachable, ...).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, NoReturn, TextIO

import psycopg
import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from campaign_analytics.postgres import PostgresUnavailableError, connect
from campaign_analytics.settings import SettingsError, get_settings
from seed_generator import batch, changes, incremental, stats, storage, streaming
from seed_generator.errors import SeedRuntimeError, SeedUsageError
from seed_generator.migrations import apply_migrations, apply_pending_in_transaction
from seed_generator.validation import resolve_seed


def _fail(message: str, code: int) -> NoReturn:
    # plain write, not rich: rich would wrap a long message over several lines
    first_line = message.strip().splitlines()[0] if message.strip() else "failed"
    sys.stderr.write(f"error: {first_line}\n")
    sys.stderr.flush()
    sys.exit(code)


class _OneLineErrors(TyperGroup):
    """Report every failure as one line on stderr, with exit code 2 for usage errors."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except typer.TyperException as error:  # typer's click errors; usage errors exit 2
            if not error.format_message().strip():
                sys.exit(error.exit_code)  # the help was shown (no command given)
            _fail(error.format_message(), error.exit_code)
        except typer.Abort:
            _fail("aborted", 1)
        except SeedUsageError as error:
            _fail(str(error), 2)
        except (SeedRuntimeError, PostgresUnavailableError, SettingsError) as error:
            _fail(str(error), 1)
        except psycopg.Error as error:
            _fail(f"database error: {error}", 1)
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
    help="Generate realistic ad-platform data in the source PostgreSQL.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

Seed = Annotated[
    int | None,
    typer.Option(help="Random seed; the same seed gives the same rows.", show_default="random"),
]
Today = Annotated[
    str | None,
    typer.Option(
        help="Reference date YYYY-MM-DD for flights and 'now'.", show_default="today, UTC"
    ),
]


def _today(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise SeedUsageError(f"--today must be a date like 2025-01-31 (got {value!r})") from None


@contextlib.contextmanager
def _database(*, atomic: bool = True) -> Iterator[psycopg.Connection]:
    """A connection with the schema applied.

    ``atomic``: the migrations and the command's work share one transaction, so a command
    that fails (a bad argument found in the database, ...) leaves a fresh database as it was.
    Otherwise (``stream``, which commits every tick) the migrations are committed first.
    """
    with connect(get_settings()) as conn:
        if not atomic:
            apply_migrations(conn)
            yield conn
            return
        with conn.transaction():
            apply_pending_in_transaction(conn)
            yield conn


def _console(min_width: int = 0) -> Console:
    console = Console(highlight=False)
    if not console.is_terminal:
        # piped or captured output defaults to 80 columns, too narrow for wide tables
        console.width = max(console.width, min_width)
    return console


def _counts_table(title: str, counts: dict[str, int], kind: str = "table") -> Table:
    table = Table(title=title)
    table.add_column(kind)
    table.add_column("rows", justify="right")
    for name, value in counts.items():
        table.add_row(name, f"{value:,}")
    return table


@app.command("batch")
def batch_command(
    advertisers: Annotated[int, typer.Option(help="Advertisers to create.")] = 5,
    campaigns: Annotated[int, typer.Option(help="Campaigns, spread over the advertisers.")] = 20,
    impressions: Annotated[int, typer.Option(help="Impressions to serve.")] = 20_000,
    ctr: Annotated[float, typer.Option(help="Average click-through rate (0..1).")] = 0.02,
    cvr: Annotated[float, typer.Option(help="Average conversions per click (0..1).")] = 0.05,
    days: Annotated[int, typer.Option(help="Days of history before the reference date.")] = 30,
    audiences: Annotated[int, typer.Option(help="Audiences to create.")] = 12,
    seed: Seed = None,
    today: Today = None,
    fk_triggers: Annotated[
        bool,
        typer.Option(help="Let the FK triggers check every event row (slower bulk load)."),
    ] = False,
) -> None:
    """Generate a complete data set: entities, then events with a realistic funnel."""
    reference = _today(today)
    seed = resolve_seed(seed)
    started = time.perf_counter()
    with _database() as conn:
        counts = batch.generate_batch(
            conn,
            advertisers=advertisers,
            campaigns=campaigns,
            impressions=impressions,
            ctr=ctr,
            cvr=cvr,
            days=days,
            seed=seed,
            today=reference,
            audiences=audiences,
            trusted=not fk_triggers,
        )
    elapsed = time.perf_counter() - started
    events = counts["impressions"] + counts["clicks"] + counts["conversions"]
    console = _console()
    console.print(_counts_table("rows inserted", counts))
    console.print(
        f"seed {seed}, {events:,} events in {elapsed:.1f}s "
        f"({events / elapsed if elapsed else 0:,.0f} events/s)"
    )


@app.command("advertisers")
def advertisers_command(
    count: Annotated[int, typer.Option(help="Advertisers to create.")] = 1,
    seed: Seed = None,
) -> None:
    """Add advertisers."""
    with _database() as conn:
        ids = incremental.add_advertisers(conn, count=count, seed=seed)
    _console().print(f"inserted {len(ids)} advertisers{_id_span(ids)}")


@app.command("campaigns")
def campaigns_command(
    advertiser_id: Annotated[int, typer.Option(help="Advertiser that owns the campaigns.")],
    count: Annotated[int, typer.Option(help="Campaigns to create.")] = 1,
    days: Annotated[int, typer.Option(help="Flights start within this many past days.")] = 30,
    seed: Seed = None,
    today: Today = None,
) -> None:
    """Add campaigns (and the channels they run on) for one advertiser."""
    reference = _today(today)
    with _database() as conn:
        ids = incremental.add_campaigns(
            conn,
            advertiser_id=advertiser_id,
            count=count,
            seed=seed,
            today=reference,
            days=days,
        )
    _console().print(f"inserted {len(ids)} campaigns for advertiser {advertiser_id}{_id_span(ids)}")


@app.command("impressions")
def impressions_command(
    campaign_id: Annotated[int, typer.Option(help="Campaign to serve.")],
    count: Annotated[int, typer.Option(help="Impressions to add.")] = 1_000,
    seed: Seed = None,
    today: Today = None,
) -> None:
    """Add impressions to a campaign, spread over its flight days before today."""
    reference = _today(today)
    with _database() as conn:
        added = incremental.add_impressions(
            conn, campaign_id=campaign_id, count=count, seed=seed, today=reference
        )
    _console().print(f"inserted {added:,} impressions for campaign {campaign_id}")


@app.command("clicks")
def clicks_command(
    campaign_id: Annotated[int, typer.Option(help="Campaign whose impressions get clicked.")],
    ratio: Annotated[float, typer.Option(help="Share (0..1) of its unclicked impressions.")],
    seed: Seed = None,
    today: Today = None,
) -> None:
    """Click a share of a campaign's impressions that have no click yet."""
    reference = _today(today)
    with _database() as conn:
        added = incremental.add_clicks(
            conn, campaign_id=campaign_id, ratio=ratio, seed=seed, today=reference
        )
    _console().print(f"inserted {added:,} clicks for campaign {campaign_id}")


@app.command("conversions")
def conversions_command(
    campaign_id: Annotated[int, typer.Option(help="Campaign whose clicks convert.")],
    ratio: Annotated[float, typer.Option(help="Share (0..1) of its unconverted clicks.")],
    seed: Seed = None,
    today: Today = None,
) -> None:
    """Convert a share of a campaign's clicks that have no conversion yet."""
    reference = _today(today)
    with _database() as conn:
        added = incremental.add_conversions(
            conn, campaign_id=campaign_id, ratio=ratio, seed=seed, today=reference
        )
    _console().print(f"inserted {added:,} conversions for campaign {campaign_id}")


def _id_span(ids: list[int]) -> str:
    if not ids:
        return ""
    return f" (id {ids[0]})" if len(ids) == 1 else f" (ids {ids[0]}..{ids[-1]})"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


@app.command("stats")
def stats_command() -> None:
    """Row counts, event time ranges, CTR and CVR overall and per channel."""
    with _database() as conn:
        result = stats.table_stats(conn)
    console = _console(min_width=120)
    tables = Table(title="tables")
    for column in ("table", "rows", "soft-deleted"):
        tables.add_column(column, justify="left" if column == "table" else "right")
    for row in result.tables:
        tables.add_row(
            row.table, f"{row.rows:,}", "" if row.deleted is None else f"{row.deleted:,}"
        )
    console.print(tables)
    ranges = Table(title="event times (UTC)")
    for column in ("events", "first", "last"):
        ranges.add_column(column)
    for event in result.ranges:
        ranges.add_row(
            event.table,
            f"{event.first:%Y-%m-%d %H:%M:%S}" if event.first else "-",
            f"{event.last:%Y-%m-%d %H:%M:%S}" if event.last else "-",
        )
    console.print(ranges)
    funnel = Table(title="funnel by channel")
    columns = ("channel", "impressions", "reach", "clicks", "CTR", "conversions", "CVR")
    for column in (*columns, "spend", "revenue"):
        funnel.add_column(column, justify="left" if column == "channel" else "right")
    for row in result.funnels:
        funnel.add_row(
            row.channel,
            f"{row.impressions:,}",
            f"{row.reach:,}",
            f"{row.clicks:,}",
            _percent(row.ctr),
            f"{row.conversions:,}",
            _percent(row.cvr),
            f"{row.spend:,.2f}",
            f"{row.revenue:,.2f}",
            end_section=row.channel == "all",
        )
    console.print(funnel)


@app.command("reset")
def reset_command(
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete every row of every source table and restart the ids."""
    with _database() as conn:
        if not yes:
            try:
                confirmed = typer.confirm(
                    "Delete every row of the source tables?", default=False, err=True
                )
            except typer.Abort:  # no answer (stdin closed)
                sys.stderr.write("\n")
                confirmed = False
            if not confirmed:
                _fail("not confirmed, nothing was deleted (--yes skips the question)", 1)
        storage.reset(conn)
    _console().print("all source tables are empty")


def _open_commit_log(path: Path) -> TextIO:
    try:
        return path.open("a", encoding="utf-8")
    except OSError as error:
        _fail(f"cannot write the commit log {path} ({error.strerror}); choose a writable path", 2)


@app.command("stream")
def stream_command(
    rate: Annotated[float, typer.Option(help="Events per second to insert.")] = 50.0,
    duration: Annotated[
        float | None,
        typer.Option(help="Stop after this many seconds.", show_default="until Ctrl-C"),
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between insert batches.")] = 2.0,
    ctr: Annotated[float, typer.Option(help="Average click-through rate (0..1).")] = 0.02,
    cvr: Annotated[float, typer.Option(help="Average conversions per click (0..1).")] = 0.05,
    seed: Seed = None,
    commit_log: Annotated[
        Path | None,
        typer.Option(
            help="Append one JSON line per insert: its commit time and impressions per "
            "campaign (to measure commit-to-API latency, bench/bench_realtime.py).",
        ),
    ] = None,
) -> None:
    """Insert live events continuously (and tweak a budget now and then); Ctrl-C stops."""
    streaming.check_arguments(rate=rate, duration=duration, interval=interval, ctr=ctr, cvr=cvr)
    log = _open_commit_log(commit_log) if commit_log else None
    console = _console()
    stop = threading.Event()
    was_idle = False

    def on_tick(tick: streaming.Tick) -> None:
        nonlocal was_idle
        if tick.idle and not was_idle:
            console.print(
                "no campaign is running today (active, with today in its flight):"
                " inserting no events until one is"
            )
        was_idle = tick.idle
        if log is not None:
            log.write(json.dumps(tick.as_json()) + "\n")
            log.flush()
        console.print(
            f"{tick.at:%H:%M:%S} +{tick.impressions} impressions +{tick.clicks} clicks "
            f"+{tick.conversions} conversions"
            + (f" +{tick.campaign_updates} campaign update" if tick.campaign_updates else "")
            + f" | {tick.total_events:,} events, {tick.total_events / tick.elapsed:,.0f}/s"
        )

    def on_interrupt(*_: object) -> None:
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C is abrupt

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        with _database(atomic=False) as conn:
            totals = streaming.stream(
                conn,
                rate=rate,
                duration=duration,
                interval=interval,
                ctr=ctr,
                cvr=cvr,
                seed=seed,
                stop=stop,
                on_tick=on_tick,
            )
    finally:
        signal.signal(signal.SIGINT, previous)
        if log is not None:
            log.close()
    console.print(_counts_table("streamed", totals, kind="kind"))


@app.command("mutate")
def mutate_command(
    updates: Annotated[int, typer.Option(help="Campaigns to edit (budget, status or name).")] = 5,
    late_impressions: Annotated[
        int, typer.Option(help="Impressions stamped 2-7 days ago (with their funnel).")
    ] = 50,
    late_clicks: Annotated[int, typer.Option(help="Clicks on old impressions.")] = 10,
    soft_delete_campaigns: Annotated[int, typer.Option(help="Campaigns to soft-delete.")] = 2,
    soft_delete_audiences: Annotated[int, typer.Option(help="Audiences to soft-delete.")] = 1,
    soft_delete_advertisers: Annotated[
        int, typer.Option(help="Advertisers to soft-delete (with their campaigns).")
    ] = 1,
    hard_deletes: Annotated[
        int, typer.Option(help="Impressions to delete with their clicks and conversions.")
    ] = 5,
    hard_delete_campaign_channels: Annotated[
        int, typer.Option(help="Unused campaign_channels rows to delete.")
    ] = 1,
    corrections: Annotated[
        int, typer.Option(help="Impression costs, click costs and revenues to restate (each).")
    ] = 10,
    seed: Seed = None,
    today: Today = None,
) -> None:
    """Updates, late events, soft and hard deletes and corrections, in one transaction."""
    reference = _today(today)
    with _database() as conn:
        summary = changes.mutate(
            conn,
            seed=seed,
            today=reference,
            updates=updates,
            late_impressions=late_impressions,
            late_clicks=late_clicks,
            soft_delete_campaigns=soft_delete_campaigns,
            soft_delete_audiences=soft_delete_audiences,
            soft_delete_advertisers=soft_delete_advertisers,
            hard_deletes=hard_deletes,
            hard_delete_campaign_channels=hard_delete_campaign_channels,
            corrections=corrections,
        )
    _console().print(_counts_table("changes (one transaction)", summary, kind="change"))


def main() -> None:
    app()
