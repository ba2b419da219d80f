"""`campaign-analytics`: run the pipeline's steps with the settings module's configuration."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import chdb_engine
import typer
from rich.console import Console

from campaign_analytics import dbt_preflight, engine_owner, postgres
from campaign_analytics.errors import UserFacingError, one_line
from campaign_analytics.settings import DBT_PROJECT_DIR, Settings, get_settings

app = typer.Typer(help=__doc__, no_args_is_help=True, pretty_exceptions_enable=False)
pg_app = typer.Typer(help="The embedded PostgreSQL server (target embedded).")
app.add_typer(pg_app, name="postgres")

# piped output (CI, tests) gets 120 columns instead of rich's 80, so tables are not truncated
console = Console(width=max(shutil.get_terminal_size((120, 24)).columns, 100))
err_console = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(command: F) -> F:
    """Known failures end as one line on stderr and exit 1, never as a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (UserFacingError, chdb_engine.EngineLockedError) as error:
            err_console.print(f"[red]error:[/red] {one_line(error)}", highlight=False)
            raise typer.Exit(getattr(error, "exit_code", 1)) from None
        except KeyboardInterrupt:
            err_console.print("[red]error:[/red] interrupted", highlight=False)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def _settings_not_served() -> Settings:
    """The settings, once no `serve` process owns their embedded engines (one line if so)."""
    settings = get_settings()
    busy = engine_owner.busy_message(settings)
    if busy:
        raise UserFacingError(busy)
    return settings


@pg_app.command("start")
@reports_errors
def postgres_start() -> None:
    """Start the embedded PostgreSQL (if needed) and print its DSN."""
    console.print(postgres.source_dsn(get_settings()))


@pg_app.command("stop")
@reports_errors
def postgres_stop() -> None:
    """Stop the embedded PostgreSQL."""
    stopped = postgres.stop_embedded(get_settings().embedded_postgres_dir)
    console.print("stopped" if stopped else "not running")


@app.command()
@reports_errors
def seed_demo(
    impressions: Annotated[int, typer.Option(min=0, help="Impressions to generate.")] = 50_000,
    # 41: the first advertiser (the one `make serve` makes a demo key for) runs on Google,
    # Meta and LinkedIn, the platforms of the README's questions
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 41,
) -> None:
    """Generate the demo dataset, but only into an empty source (re-runs change nothing)."""
    from seed_generator import generate_batch
    from seed_generator.migrations import apply_migrations

    settings = get_settings()
    with postgres.connect(settings) as conn:
        apply_migrations(conn)
        if conn.execute("select exists (select from campaigns)").fetchone()[0]:
            console.print("source already has data: not generating (seed-generator adds more)")
            return
        counts = generate_batch(
            conn,
            advertisers=5,
            campaigns=20,
            impressions=impressions,
            ctr=0.02,
            cvr=0.05,
            days=30,
            seed=seed,
        )
        conn.commit()
    console.print(f"generated: {counts}")


@app.command()
@reports_errors
def load(
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Drop the raw tables and dlt state, reload all.")
    ] = False,
    reconcile: Annotated[
        bool,
        typer.Option(
            "--reconcile", help="Also find rows hard-deleted in PostgreSQL and remove them."
        ),
    ] = False,
    warn_only: Annotated[
        bool, typer.Option("--warn-only", help="Report a reconciliation mismatch, exit 0.")
    ] = False,
    restore_state: Annotated[
        bool,
        typer.Option(
            "--restore-state",
            help="Remove dlt's local pipeline directory first; dlt restores its state and "
            "schemas from ClickHouse (the fix when they are corrupt).",
        ),
    ] = False,
    platforms: Annotated[
        bool,
        typer.Option(
            "--platforms",
            help="Load the ad-platform APIs configured in the environment (.env.example) "
            "instead of PostgreSQL.",
        ),
    ] = False,
) -> None:
    """Replicate PostgreSQL into ClickHouse's raw database with dlt, then reconcile."""
    settings = _settings_not_served()
    if platforms:
        from dlt_pipelines.ad_apis.run import run_and_report as load_platforms

        load_platforms(settings, full_refresh=full_refresh, console=console)
        return
    from dlt_pipelines.run import run_and_report

    run_and_report(
        settings,
        full_refresh=full_refresh,
        console=console,
        remove_deletes=reconcile,
        warn_only=warn_only,
        restore_state=restore_state,
    )


@app.command("reconcile")
@reports_errors
def reconcile_command(
    warn_only: Annotated[
        bool, typer.Option("--warn-only", help="Report a mismatch, exit 0.")
    ] = False,
) -> None:
    """Remove rows hard-deleted in PostgreSQL from ClickHouse and compare both sides."""
    from dlt_pipelines.run import reconcile_only

    reconcile_only(_settings_not_served(), warn_only=warn_only, console=console)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
@reports_errors
def dbt(ctx: typer.Context) -> None:
    """Run dbt in dbt_project/ with the settings' environment: `campaign-analytics dbt build`."""
    settings = get_settings()
    settings.ensure_data_dir()
    if ctx.args[:2] != ["docs", "serve"]:  # serving docs opens no engine
        _settings_not_served()
    dbt_preflight.check(settings, ctx.args)
    env = os.environ | settings.dbt_env()
    dbt_exe = Path(sys.executable).with_name("dbt")
    result = subprocess.run([dbt_exe, *ctx.args], cwd=DBT_PROJECT_DIR, env=env, check=False)
    raise typer.Exit(result.returncode)


@app.command()
@reports_errors
def kpis(
    start: Annotated[
        str | None, typer.Option(help="First day to report on (YYYY-MM-DD, UTC), inclusive.")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="Last day to report on (YYYY-MM-DD, UTC), inclusive.")
    ] = None,
    platform: Annotated[
        list[str] | None,
        typer.Option(help="Only this platform (channel name, any case); repeat for several."),
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="Rows in the top channels table.")] = 10,
) -> None:
    """Print the KPI report from the marts: CTR, conversion rate, spend and ROAS."""
    import datetime as dt

    from campaign_analytics.report import Filters, print_report

    def day(option: str, value: str | None) -> dt.date | None:
        try:
            return dt.date.fromisoformat(value) if value else None
        except ValueError:
            message = f"{value!r} is not a YYYY-MM-DD date"
            raise typer.BadParameter(message, param_hint=option) from None

    filters = Filters(day("--start", start), day("--end", end), tuple(platform or ()))
    settings = _settings_not_served()
    settings.ensure_data_dir()
    print_report(settings, console, filters, top)


@app.command("ask")
@reports_errors
def ask_command(
    question: Annotated[str, typer.Argument(help="A question in plain English, in quotes.")],
    advertiser_id: Annotated[
        int | None,
        typer.Option(help="The advertiser asking (needed when the data has several)."),
    ] = None,
    today: Annotated[
        str | None, typer.Option(help="The day relative periods count from (YYYY-MM-DD).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole response (query, rows, meta).")
    ] = False,
) -> None:
    """Answer a question about an advertiser's campaigns from the newest published build."""
    from campaign_analytics.ask.command import answer_question, parse_today, render

    settings = _settings_not_served()
    settings.ensure_data_dir()
    answer, warning = answer_question(settings, question, advertiser_id, parse_today(today))
    if warning:
        err_console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    if as_json:
        print(answer.model_dump_json(indent=2))
    else:
        render(answer, console)


keys_app = typer.Typer(help="API keys of the insights service (stored hashed in PostgreSQL).")
app.add_typer(keys_app, name="api-keys")


@keys_app.command("create")
@reports_errors
def api_keys_create(
    advertiser_id: Annotated[int, typer.Option(help="The advertiser (tenant) the key reads.")],
    role: Annotated[
        str, typer.Option(help="viewer: its advertiser only; admin: may name another.")
    ] = "viewer",
    expires: Annotated[
        str | None, typer.Option(help="Lifetime, e.g. 30d, 12h, 90m.", show_default="never")
    ] = None,
    name: Annotated[str | None, typer.Option(help="A note to recognize the key by.")] = None,
) -> None:
    """Create a key and print it, once: only its hash is stored."""
    from campaign_analytics.service import auth
    from seed_generator.migrations import apply_migrations

    lifetime = auth.parse_duration(expires) if expires else None
    with postgres.connect(get_settings()) as conn:
        apply_migrations(conn)
        key, row = auth.create_key(
            conn, advertiser_id=advertiser_id, role=role, expires_in=lifetime, name=name
        )
    expiry = f", expires {row.expires_at:%Y-%m-%d %H:%M} UTC" if row.expires_at else ""
    err_console.print(
        f"API key {row.id} ({row.role}, advertiser {row.advertiser_id}{expiry}); it is shown "
        "only now:",
        highlight=False,
    )
    print(key)


@keys_app.command("list")
@reports_errors
def api_keys_list() -> None:
    """Every key: id, prefix, advertiser, role, created, expires, revoked."""
    from rich.table import Table

    from campaign_analytics.service import auth
    from seed_generator.migrations import apply_migrations

    with postgres.connect(get_settings()) as conn:
        apply_migrations(conn)
        keys = auth.list_keys(conn)
    table = Table(title="API keys")
    for column in ("id", "prefix", "advertiser", "role", "name", "created", "expires", "revoked"):
        table.add_column(column)
    for key in keys:
        table.add_row(
            str(key.id),
            key.prefix + "…",
            str(key.advertiser_id),
            key.role,
            key.name or "",
            f"{key.created_at:%Y-%m-%d %H:%M}",
            f"{key.expires_at:%Y-%m-%d %H:%M}" if key.expires_at else "never",
            f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "",
        )
    console.print(table)


@keys_app.command("revoke")
@reports_errors
def api_keys_revoke(
    key_id: Annotated[int, typer.Argument(help="The key's id (api-keys list).")],
) -> None:
    """Revoke a key: the API refuses it within CA_API_KEY_CACHE_SECONDS (default 5)."""
    from campaign_analytics.service import auth

    with postgres.connect(get_settings()) as conn:
        key = auth.revoke_key(conn, key_id)
    console.print(f"revoked API key {key.id} ({key.prefix}…)")


@app.command()
@reports_errors
def serve(
    host: Annotated[
        str | None,
        typer.Option(help="Address to listen on.", show_default="CA_API_HOST, 127.0.0.1"),
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port.", show_default="CA_API_PORT, 8000")
    ] = None,
    refresh: Annotated[
        bool,
        typer.Option(
            "--refresh/--no-refresh",
            help="Refresh the warehouse in this process (load, dbt build, publish) every "
            "--refresh-every seconds; --no-refresh when an orchestrator runs the loads.",
            show_default="refresh on the embedded target",
        ),
    ] = True,
    refresh_every: Annotated[
        float | None,
        typer.Option(
            min=0.1,
            help="Seconds between refreshes (2 for a live warehouse).",
            show_default="CA_REFRESH_EVERY_SECONDS, 60",
        ),
    ] = None,
    entities_every: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Load the entities (campaigns, ...) every N refreshes; events every one.",
            show_default="CA_ENTITIES_EVERY, 10",
        ),
    ] = None,
    full_tests_every: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Run every dbt test across N builds (1/N each, besides the hot tier).",
            show_default="CA_FULL_TESTS_EVERY, 30",
        ),
    ] = None,
    build_every: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="With live marts, run dbt at most every N seconds (the loads reach the API "
            "through the live marts' refresh after each load); 0: every refresh.",
            show_default="CA_BUILD_EVERY_SECONDS, 30",
        ),
    ] = None,
    live_marts: Annotated[
        bool | None,
        typer.Option(
            "--live-marts/--no-live-marts",
            help="Serve yesterday and today from refreshable views refreshed after each load "
            "(dbt_project/models/marts/core/fct_campaign_performance_live.sql).",
            show_default="CA_LIVE_MARTS, on when refreshing",
        ),
    ] = None,
    demo_key: Annotated[
        bool,
        typer.Option(
            "--demo-key",
            help="Create a viewer key for the first advertiser and print a curl session.",
        ),
    ] = False,
) -> None:
    """The insights API over the published marts (OpenAPI at /docs)."""
    import dataclasses

    import uvicorn

    from campaign_analytics.service.app import create_app

    settings = _settings_not_served()
    settings.ensure_data_dir()
    service = dataclasses.replace(
        settings.service,
        host=host or settings.service.host,
        port=port or settings.service.port,
        refresh_every_seconds=refresh_every or settings.service.refresh_every_seconds,
        entities_every=entities_every or settings.service.entities_every,
        full_tests_every=full_tests_every or settings.service.full_tests_every,
        build_every_seconds=(
            settings.service.build_every_seconds if build_every is None else build_every
        ),
    )
    settings = dataclasses.replace(
        settings,
        service=service,
        live_marts=settings.live_marts if live_marts is None else live_marts,
    )
    url = f"http://{service.host}:{service.port}"
    if demo_key:
        _print_demo_session(settings, url)
    with contextlib.ExitStack() as stack:
        if settings.target == "embedded":
            # chDB installs its own SIGTERM/SIGINT handlers when its engine starts: start it
            # before uvicorn, whose handlers (a graceful shutdown) then take precedence
            stack.enter_context(chdb_engine.held(settings.chdb_path, settings.lock_wait_seconds))
        err_console.print(f"insights API on {url} (OpenAPI: {url}/docs)", highlight=False)
        uvicorn.run(
            # the app claims the data directory for its life (serve.json): uvicorn re-raises
            # SIGTERM after its graceful shutdown, so nothing after run() would get to run
            create_app(settings, refresh=refresh, owner_url=url),
            host=service.host,
            port=service.port,
            log_level="warning",
        )


def _print_demo_session(settings: Settings, url: str) -> None:
    from campaign_analytics.service import auth
    from seed_generator.migrations import apply_migrations

    with postgres.connect(settings) as conn:
        apply_migrations(conn)
        first = conn.execute("select min(id) from advertisers").fetchone()
        if not first or first[0] is None:
            raise UserFacingError("no advertiser in the source; run `make seed` first")
        key, row = auth.create_key(conn, advertiser_id=int(first[0]), name="make serve demo")
    err_console.print(
        f"demo API key {row.id} (viewer, advertiser {row.advertiser_id}); paste:",
        highlight=False,
    )
    print(f"export CA_API={url} CA_API_KEY={key}", flush=True)


if __name__ == "__main__":
    app()
