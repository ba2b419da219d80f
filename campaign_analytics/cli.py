"""`campaign-analytics`: run the pipeline's steps with the settings module's configuration."""

from __future__ import annotations

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

from campaign_analytics import dbt_preflight, postgres
from campaign_analytics.errors import UserFacingError, one_line
from campaign_analytics.settings import DBT_PROJECT_DIR, get_settings

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
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 42,
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
) -> None:
    """Replicate PostgreSQL into ClickHouse's raw database with dlt, then reconcile."""
    from dlt_pipelines.run import run_and_report

    run_and_report(
        get_settings(),
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

    reconcile_only(get_settings(), warn_only=warn_only, console=console)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
@reports_errors
def dbt(ctx: typer.Context) -> None:
    """Run dbt in dbt_project/ with the settings' environment: `campaign-analytics dbt build`."""
    settings = get_settings()
    settings.ensure_data_dir()
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
    settings = get_settings()
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

    settings = get_settings()
    settings.ensure_data_dir()
    answer, warning = answer_question(settings, question, advertiser_id, parse_today(today))
    if warning:
        err_console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    if as_json:
        print(answer.model_dump_json(indent=2))
    else:
        render(answer, console)


if __name__ == "__main__":
    app()
