"""`make demo-platforms`: the four ad-platform APIs, faked on 127.0.0.1, loaded and reconciled.

Starts the fakes for the last 30 days (UTC), each reporting around the demo's first-party
numbers on its channel (read from PostgreSQL) with that platform's usual skew, so the
reconciliation shows the differences an ad buyer sees. Then, as a user would, it runs
`campaign-analytics load --platforms` twice against them (the second run re-reads only each
platform's attribution window) and `campaign-analytics dbt build` (all of it, as `make
transform` does), and prints the reconciliation per platform from the build dbt published.

Run it after `make seed load` (the Makefile target does both).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from campaign_analytics import postgres, published, warehouse
from campaign_analytics.errors import UserFacingError
from campaign_analytics.settings import DBT_PROJECT_DIR, get_settings
from tests.fake_ad_apis.data import PLATFORMS, Baseline
from tests.fake_ad_apis.server import DEFAULT_ACCOUNTS, FakeAdApis, Recorded

DAYS = 30
UNIFIED_NAME = {
    "meta_ads": "facebook_ads",
    "google_ads": "google_ads",
    "tiktok_ads": "tiktok_ads",
    "linkedin_ads": "linkedin_ads",
}
CLI = Path(sys.executable).with_name("campaign-analytics")

# first-party numbers per channel and day, as the marts count them: clicks and their cost on
# the impression's day, conversions on their own day
FIRST_PARTY_SQL = """
with events as (
    select (i.served_at at time zone 'UTC')::date as day, i.channel_id, 1 as impressions,
           0 as clicks, i.cost as spend, 0 as conversions, 0::numeric as revenue
    from impressions i
    union all
    select (i.served_at at time zone 'UTC')::date, i.channel_id, 0, 1, k.cost, 0, 0
    from clicks k join impressions i on i.id = k.impression_id
    union all
    select (v.converted_at at time zone 'UTC')::date, i.channel_id, 0, 0, 0, 1, v.revenue
    from conversions v
    join clicks k on k.id = v.click_id
    join impressions i on i.id = k.impression_id
)
select c.name, e.day, sum(e.impressions), sum(e.clicks), sum(e.spend), sum(e.conversions),
       sum(e.revenue)
from events e join channels c on c.id = e.channel_id
where e.day >= %s
group by c.name, e.day
"""


def platform_channels() -> dict[str, str]:
    """platform (meta_ads, ...) -> first-party channel, from the dbt seed the marts use."""
    path = DBT_PROJECT_DIR / "seeds" / "ad_reporting_platform_channels.csv"
    with path.open() as handle:
        by_unified = {row["platform"]: row["channel_name"] for row in csv.DictReader(handle)}
    return {p: by_unified[name] for p, name in UNIFIED_NAME.items() if name in by_unified}


def baselines(first_day: dt.date) -> dict[str, dict[dt.date, Baseline]]:
    channels = platform_channels()
    by_channel: dict[str, dict[dt.date, Baseline]] = {}
    with postgres.connect(get_settings()) as conn:
        for name, day, impressions, clicks, spend, conversions, revenue in conn.execute(
            FIRST_PARTY_SQL, (first_day,)
        ):
            by_channel.setdefault(name, {})[day] = Baseline(
                int(impressions), int(clicks), Decimal(spend), int(conversions), Decimal(revenue)
            )
    return {p: by_channel[channel] for p, channel in channels.items() if channel in by_channel}


def mean_impressions(numbers: dict[str, dict[dt.date, Baseline]], ads: int) -> int:
    """Per ad and day, for a platform whose channel has no first-party events to follow."""
    days = [b.impressions for by_day in numbers.values() for b in by_day.values()]
    return max(1, sum(days) // max(1, len(days)) // ads)


def campaign_analytics(*args: str, env: dict[str, str]) -> None:
    result = subprocess.run([str(CLI), *args], env=env, check=False)
    if result.returncode:
        raise SystemExit(result.returncode)


def first_day_asked(request: Recorded) -> str:
    if "time_range[since]" in request.query:
        return request.query["time_range[since]"]
    if "start_date" in request.query:
        return request.query["start_date"]
    if isinstance(request.body, dict):
        return request.body["query"].partition("BETWEEN '")[2][:10]
    start = re.search(r"start:\(year:(\d+),month:(\d+),day:(\d+)\)", request.raw_query)
    return str(dt.date(*(int(n) for n in start.groups()))) if start else "?"


def print_second_run(fake: FakeAdApis, console: Console) -> None:
    table = Table(title="second load: what each platform was asked for")
    for name in ("platform", "requests", "first day asked"):
        table.add_column(name)
    for platform in PLATFORMS:
        requests = [r for r in fake.recorded(platform) if r.status == 200]
        firsts = sorted({first_day_asked(r) for r in requests})
        table.add_row(platform, str(len(requests)), ", ".join(firsts))
    console.print(table)


def print_reconciliation(first_day: dt.date, console: Console) -> None:
    settings = get_settings()
    client = warehouse.client(settings)
    try:
        mart = published.current(client, settings).qualified("rpt_platform_reconciliation")
        rows = client.query(
            f"""
            select platform, any(first_party_channel), countIf(has_platform_data),
                   sum(platform_spend), sum(first_party_spend),
                   sum(platform_clicks), sum(first_party_clicks),
                   sum(platform_conversions), sum(first_party_conversions)
            from {mart}
            where date_day >= {{first_day:Date}}
            group by platform
            order by platform
            """,
            parameters={"first_day": first_day},
        ).result_rows
    finally:
        client.close()

    def change(reported: float, own: float) -> str:
        return f"{(reported - own) / own:+.1%}" if own else "n/a"

    table = Table(title=f"rpt_platform_reconciliation since {first_day}: platform vs first party")
    for name in ("platform", "channel", "days", "spend", "vs own", "clicks", "vs own"):
        table.add_column(name, justify="left" if name in {"platform", "channel"} else "right")
    table.add_column("conversions", justify="right")
    table.add_column("vs own", justify="right")
    for platform, channel, days, spend, own_spend, clicks, own_clicks, conv, own_conv in rows:
        table.add_row(
            platform,
            channel,
            str(days),
            f"{spend:,.2f}",
            change(float(spend), float(own_spend)),
            f"{clicks:,}",
            change(clicks, own_clicks),
            f"{conv:,.2f}",
            change(conv, own_conv),
        )
    console.print(table)


def main() -> None:
    # piped output (make) gets 120 columns, as the CLI's tables do
    console = Console(width=max(shutil.get_terminal_size((120, 24)).columns, 100))
    today = dt.datetime.now(dt.UTC).date()
    first_day = today - dt.timedelta(days=DAYS - 1)
    try:
        numbers = baselines(first_day)
    except UserFacingError as error:
        Console(stderr=True).print(f"[red]error:[/red] {error}", highlight=False)
        raise SystemExit(1) from None
    with FakeAdApis(
        first_day=first_day,
        last_day=today,
        baselines=numbers,
        mean_impressions=mean_impressions(numbers, ads=8),
        # one account per platform: a small demo, every number easy to follow
        accounts={p: ids[:1] for p, ids in DEFAULT_ACCOUNTS.items()},
    ) as fake:
        # the fakes stand in for the real APIs through the same settings a user sets
        env = {k: v for k, v in os.environ.items() if not k.endswith("_ACCOUNT_IDS")}
        env |= fake.env() | {"TZ": "UTC"}
        console.print(f"[bold]fake ad-platform APIs on {fake.base_url}[/bold] {first_day}..{today}")
        campaign_analytics("load", "--platforms", env=env)
        fake.reset()
        campaign_analytics("load", "--platforms", env=env)
        print_second_run(fake, console)
    # the whole build (make transform), so it is published for readers like every build
    campaign_analytics("dbt", "build", "--quiet", env=env)
    print_reconciliation(first_day, console)
    console.print(
        "Real APIs: set <PLATFORM>_ACCOUNT_IDS and the credentials listed in .env.example, "
        "then `campaign-analytics load --platforms`."
    )


if __name__ == "__main__":
    main()
