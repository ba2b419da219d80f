"""`campaign-analytics load --platforms`: load every configured ad-platform API into raw.

One dlt pipeline per platform (``<platform>_to_clickhouse``, dataset ``<platform>``, so raw
tables are ``raw.<platform>__ad_report``), each with its own incremental state. A platform
is configured when ``<PLATFORM>_ACCOUNT_IDS`` is set. A platform whose load fails loads
nothing (dlt discards the extracted package) and the others still run; the command then
fails with one line per failed platform.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from contextlib import closing, nullcontext
from dataclasses import dataclass
from typing import Any

import chdb_engine
import dlt
import requests
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.exceptions import DltException
from rich.console import Console
from rich.table import Table

from campaign_analytics.errors import UserFacingError, one_line, root_cause
from campaign_analytics.settings import AdPlatformApi, Settings
from dlt_pipelines import load
from dlt_pipelines.ad_apis import google_ads, linkedin_ads, meta_ads, report, tiktok_ads

SOURCES: dict[str, Callable[..., Any]] = {
    "meta_ads": meta_ads.meta_ads,
    "google_ads": google_ads.google_ads,
    "tiktok_ads": tiktok_ads.tiktok_ads,
    "linkedin_ads": linkedin_ads.linkedin_ads,
}


class PlatformLoadError(UserFacingError):
    """One or more platforms failed to load; each of them loaded nothing."""


@dataclass(frozen=True)
class PlatformLoad:
    platform: str
    accounts: int
    rows: int
    seconds: float
    error: str | None = None


def configured(settings: Settings, platforms: Sequence[str] | None = None) -> list[AdPlatformApi]:
    apis = [api for api in settings.ad_platform_apis if api.account_ids]
    if platforms is not None:
        apis = [api for api in apis if api.platform in platforms]
    if not apis:
        names = ", ".join(f"{p.upper()}_ACCOUNT_IDS" for p in SOURCES)
        raise PlatformLoadError(
            f"no ad platform is configured: set at least one of {names} with its credentials "
            "(see .env.example), or run `make demo-platforms` to load the local fakes"
        )
    return apis


def pipeline(settings: Settings, platform: str) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=f"{platform}_to_clickhouse",
        pipelines_dir=str(settings.dlt_pipelines_dir),
        destination=load.destination(settings),
        dataset_name=platform,
    )


def source(api: AdPlatformApi, end_date: dt.date | None) -> Any:
    """The platform's dlt source for its accounts; settings override dlt config and secrets."""
    try:
        return SOURCES[api.platform](
            account_ids=list(api.account_ids),
            base_url=api.base_url,
            end_date=end_date,
            **api.arguments,
        )
    except ConfigFieldMissingException as error:
        missing = ", ".join(
            f"{api.env_name(name)} (or sources.{api.platform}.{name} in "
            "dlt_pipelines/.dlt/secrets.toml)"
            for name in error.fields
        )
        raise PlatformLoadError(f"missing {missing}; see .env.example") from None
    except ValueError as error:
        raise PlatformLoadError(one_line(error)) from None


def _reason(api: AdPlatformApi, error: BaseException) -> str:
    cause = root_cause(error)
    if isinstance(cause, UserFacingError):
        return one_line(cause)
    if isinstance(cause, requests.ConnectionError | requests.Timeout):
        return (
            f"cannot reach {api.base_url} ({one_line(cause)[:200]}); check "
            f"{api.env_name('base_url')} and the network"
        )
    return one_line(cause)[:400]


def _rows_loaded(p: dlt.Pipeline) -> int:
    info = p.last_trace.last_normalize_info if p.last_trace else None
    return int(info.row_counts.get(report.REPORT_TABLE, 0)) if info else 0


def load_platform(
    settings: Settings,
    api: AdPlatformApi,
    *,
    end_date: dt.date | None = None,
    full_refresh: bool = False,
) -> PlatformLoad:
    """Load one platform; a failure is returned in ``error`` (nothing was loaded then)."""
    started = time.perf_counter()
    p = pipeline(settings, api.platform)
    try:
        p.run(source(api, end_date), refresh="drop_sources" if full_refresh else None)
    except (DltException, PlatformLoadError) as error:
        return PlatformLoad(
            api.platform,
            len(api.account_ids),
            0,
            time.perf_counter() - started,
            _reason(api, error),
        )
    return PlatformLoad(
        api.platform, len(api.account_ids), _rows_loaded(p), time.perf_counter() - started
    )


def run(
    settings: Settings,
    *,
    platforms: Sequence[str] | None = None,
    end_date: dt.date | None = None,
    full_refresh: bool = False,
) -> list[PlatformLoad]:
    """Load each configured platform in turn (the ones named in ``platforms``, if given)."""
    apis = configured(settings, platforms)
    # one connection held for the whole run: dlt opens and closes the engine several times
    # per pipeline, and closing the last connection would shut chDB down each time
    anchor = (
        chdb_engine.connect(settings.chdb_path, settings.raw_database)
        if settings.target == "embedded"
        else None
    )
    with nullcontext() if anchor is None else closing(anchor):
        return [
            load_platform(settings, api, end_date=end_date, full_refresh=full_refresh)
            for api in apis
        ]


def print_summary(loads: Sequence[PlatformLoad], settings: Settings, console: Console) -> None:
    table = Table(title=f"ad-platform APIs into {settings.raw_database}.<platform>__ad_report")
    for name in ("platform", "accounts", "rows loaded", "seconds", "status"):
        table.add_column(name, justify="left" if name in {"platform", "status"} else "right")
    for item in loads:
        status = "[green]ok[/green]" if item.error is None else "[red]FAILED[/red]"
        table.add_row(
            item.platform, str(item.accounts), f"{item.rows:,}", f"{item.seconds:.1f}", status
        )
    console.print(table)


def run_and_report(
    settings: Settings,
    *,
    full_refresh: bool,
    console: Console,
    platforms: Sequence[str] | None = None,
    end_date: dt.date | None = None,
) -> list[PlatformLoad]:
    if settings.target == "embedded":
        chdb_engine.wait_until_free(settings.chdb_path)
    loads = run(settings, platforms=platforms, end_date=end_date, full_refresh=full_refresh)
    print_summary(loads, settings, console)
    failed = [item for item in loads if item.error]
    if failed:
        reasons = "; ".join(f"{item.platform}: {item.error}" for item in failed)
        raise PlatformLoadError(
            f"{reasons} (nothing was loaded for {', '.join(i.platform for i in failed)}; "
            "re-run `campaign-analytics load --platforms` once fixed)"
        )
    return loads
