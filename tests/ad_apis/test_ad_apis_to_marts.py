"""The four ad-platform APIs through dlt into chDB and dbt, against the local fakes.

One module-scoped scenario on real engines and real HTTP: a small first-party dataset in
PostgreSQL, loaded as `make load` does; the four platforms loaded as `campaign-analytics load
--platforms` does, while the fakes inject every recoverable fault; `dbt build` of the ad
reporting marts. Then the fakes restate three days (two inside the attribution window, one
before it) and the load and build run again.

Expected numbers come from the fakes' generator, never from the code under test: counts
exact, money exact to the micro-unit (Google's cost micros) or the cent (the others).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from campaign_analytics.settings import Settings
from dlt_pipelines.ad_apis import run
from seed_generator import generate_batch
from seed_generator.migrations import apply_migrations
from tests.ad_apis.conftest import EMPTY_DAY, END, FIRST, LAG_DAYS, platform_settings
from tests.fake_ad_apis import FakeAdApis, Fault, Recorded
from tests.fake_ad_apis.data import PLATFORMS, Totals
from tests.pipeline import clickhouse_rows, dbt, load, postgres_rows

UNIFIED_NAME = {
    "meta_ads": "facebook_ads",
    "google_ads": "google_ads",
    "tiktok_ads": "tiktok_ads",
    "linkedin_ads": "linkedin_ads",
}
RAW_KEYS = {
    "meta_ads": "account_id, ad_id, date_start",
    "google_ads": "customer_id, ad_group_id, ad_id, segments_date",
    "tiktok_ads": "advertiser_id, ad_id, stat_time_day",
    "linkedin_ads": "account_id, creative_id, date",
}
RECOVERABLE_FAULTS = (
    Fault("meta_ads", "rate_limit", at=2, retry_after=1),
    Fault("meta_ads", "meta_throttle", at=4),
    Fault("meta_ads", "short_page", at=5),
    Fault("google_ads", "token_expired", at=2),
    Fault("google_ads", "server_error", at=4),
    Fault("google_ads", "short_page", at=5),
    Fault("tiktok_ads", "tiktok_throttle", at=3),
    Fault("linkedin_ads", "rate_limit", at=1, retry_after=2),
)
# inside the window a second run re-reads ([END - LAG_DAYS, END]), and one day before it
RESTATED_INSIDE = (END - dt.timedelta(days=1), END - dt.timedelta(days=LAG_DAYS))
RESTATED_BEFORE = END - dt.timedelta(days=LAG_DAYS + 3)
PLATFORM_CHANNELS = {"Meta", "Google", "TikTok", "LinkedIn"}
AD_REPORTING_BUILD = (
    "+rpt_platform_reconciliation,resource_type:model",
    "+rpt_platform_reconciliation,resource_type:seed",
    *(f"source:{platform}+" for platform in PLATFORMS),
    "ad_reporting_platform_channels+",
)


def by_day(fake: FakeAdApis, platform: str) -> dict[dt.date, Totals]:
    data = fake.data[platform]
    return {day: data.totals(day, day) for day in data.days(FIRST, END)}


def summed(days: dict[dt.date, Totals]) -> tuple:
    rows = sum(t.rows for t in days.values())
    impressions = sum(t.impressions for t in days.values())
    clicks = sum(t.clicks for t in days.values())
    spend = sum((t.spend for t in days.values()), Decimal(0))
    conversions = sum((t.conversions for t in days.values()), Decimal(0))
    value = sum((t.conversions_value for t in days.values()), Decimal(0))
    return rows, impressions, clicks, spend, float(conversions), value


def unified_totals(settings: Settings) -> dict[str, tuple]:
    """Per platform, from the unified report: money as exact decimal strings."""
    rows = clickhouse_rows(
        settings,
        f"""
        select platform, count(), sum(impressions), sum(clicks), toString(sum(spend)),
               sum(conversions), toString(sum(conversions_value))
        from {settings.analytics_database}.rpt_ad_report
        where platform != 'first_party'
        group by platform
        """,
    )
    return {r[0]: (r[1], r[2], r[3], Decimal(r[4]), float(r[5]), Decimal(r[6])) for r in rows}


def raw_counts(settings: Settings) -> dict[str, tuple[int, int]]:
    """Per platform: raw rows and distinct merge keys (equal when nothing is duplicated)."""
    counts = {}
    for platform, key in RAW_KEYS.items():
        table = f"{settings.raw_database}.{platform}__ad_report"
        counts[platform] = clickhouse_rows(
            settings, f"select count(), uniqExact({key}) from {table}"
        )[0]
    return counts


def requested_ranges(platform: str, requests: list[Recorded]) -> set[tuple[str, str]]:
    """The (first day, last day) every successful report request asked for."""
    ranges = set()
    for r in requests:
        if r.status != 200:
            continue
        if platform == "meta_ads":
            ranges.add((r.query["time_range[since]"], r.query["time_range[until]"]))
        elif platform == "google_ads":
            ranges.add(re.search(r"BETWEEN '(.+?)' AND '(.+?)'", r.body["query"]).groups())
        elif platform == "tiktok_ads":
            ranges.add((r.query["start_date"], r.query["end_date"]))
        else:
            numbers = [int(n) for n in re.findall(r"\d+", r.raw_query.split("dateRange=")[1])]
            ranges.add((str(dt.date(*numbers[:3])), str(dt.date(*numbers[3:6]))))
    return ranges


@pytest.fixture(scope="module")
def scenario(fake_apis: FakeAdApis, make_database, session_dir: Path) -> Iterator[dict[str, Any]]:
    fake = fake_apis
    settings = platform_settings(session_dir, fake, postgres_dsn=make_database())
    assert settings.postgres_dsn
    with psycopg.connect(settings.postgres_dsn) as conn:
        apply_migrations(conn)
        generate_batch(
            conn,
            advertisers=3,
            campaigns=8,
            impressions=3_000,
            ctr=0.05,
            cvr=0.2,
            days=10,
            seed=14,
            today=END,
        )
        conn.commit()
    load(settings)
    expected_first = {p: by_day(fake, p) for p in PLATFORMS}
    fake.inject(*RECOVERABLE_FAULTS)
    first_loads = run.run(settings, end_date=END)
    first_requests = {p: fake.recorded(p) for p in PLATFORMS}
    first_tokens = {p: fake.recorded(p, "token") for p in PLATFORMS}
    # the marts and every model they read, with the tests of the ad reporting models only
    # (tests/dbt tests the first-party chain): half the time of `-s +rpt_platform_...`
    dbt(settings, "build", "--indirect-selection", "empty", "--select", *AD_REPORTING_BUILD)
    first = {"unified": unified_totals(settings), "raw": raw_counts(settings)}
    first["empty_day_rows"] = clickhouse_rows(
        settings,
        f"select count() from {settings.analytics_database}.rpt_ad_report "
        f"where platform != 'first_party' and date_day = '{EMPTY_DAY}'",
    )[0][0]

    fake.reset()
    for platform in PLATFORMS:
        for day in (*RESTATED_INSIDE, RESTATED_BEFORE):
            fake.data[platform].restate(day)
    second_loads = run.run(settings, end_date=END)
    second_requests = {p: fake.recorded(p) for p in PLATFORMS}
    # what a platforms load feeds (the platforms' table, then the report views over it)
    dbt(settings, "build", "-s", *(f"source:{platform}+" for platform in PLATFORMS))
    second = {"unified": unified_totals(settings), "raw": raw_counts(settings)}
    sources = [f"source:{platform}" for platform in PLATFORMS]
    dbt(settings, "source", "freshness", "--select", *sources)
    freshness = json.loads((settings.dbt_target_path / "sources.json").read_text())
    yield {
        "settings": settings,
        "fake": fake,
        "expected_first": expected_first,
        "first_loads": first_loads,
        "first_requests": first_requests,
        "first_tokens": first_tokens,
        "first": first,
        "second_loads": second_loads,
        "second_requests": second_requests,
        "second": second,
        "freshness": freshness,
    }


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_multi_page_load_gives_exactly_the_fakes_totals(
    scenario: dict[str, Any], platform: str
) -> None:
    loads = {item.platform: item for item in scenario["first_loads"]}
    assert loads[platform].error is None
    expected = summed(scenario["expected_first"][platform])
    assert expected[0] > 100, "the fake should generate enough rows for several pages"
    assert loads[platform].rows == expected[0]
    assert scenario["first"]["raw"][platform] == (expected[0], expected[0])
    assert scenario["first"]["unified"][UNIFIED_NAME[platform]] == expected
    # at least three pages (or date windows) per account, fault retries not counted
    pages = [r for r in scenario["first_requests"][platform] if r.status == 200]
    assert len(pages) >= 3 * len(scenario["fake"].data[platform].account_ids)


def test_an_empty_day_loads_as_no_rows(scenario: dict[str, Any]) -> None:
    assert scenario["first"]["empty_day_rows"] == 0
    for platform in PLATFORMS:
        assert scenario["expected_first"][platform][EMPTY_DAY].rows == 0


def waits_after(requests: list[Recorded], status: int) -> list[float]:
    """Seconds between each request answered ``status`` and the next request."""
    return [
        later.at - earlier.at
        for earlier, later in itertools.pairwise(requests)
        if earlier.status == status
    ]


def test_a_429_waits_for_its_retry_after(scenario: dict[str, Any]) -> None:
    for platform, retry_after in (("meta_ads", 1), ("linkedin_ads", 2)):
        waits = waits_after(scenario["first_requests"][platform], 429)
        assert len(waits) == 1, platform
        assert retry_after * 0.8 <= waits[0] <= retry_after * 1.2, (platform, waits)


def test_throttles_in_error_bodies_are_retried(scenario: dict[str, Any]) -> None:
    meta = scenario["first_requests"]["meta_ads"]
    # Meta: HTTP 400 with error code 17, retried after dlt's backoff (0.05 s here)
    assert [r.status for r in meta].count(400) == 1
    assert waits_after(meta, 400)[0] < 1
    # TikTok: HTTP 200 with code 40100, the same page asked again
    tiktok = scenario["first_requests"]["tiktok_ads"]
    assert tiktok[2].query["page"] == tiktok[3].query["page"]
    assert tiktok[2].raw_query == tiktok[3].raw_query
    # a 503 with an HTML body is retried too
    google = scenario["first_requests"]["google_ads"]
    assert [r.status for r in google].count(503) == 1


def test_an_expired_oauth_token_is_refreshed_once(scenario: dict[str, Any]) -> None:
    google = scenario["first_requests"]["google_ads"]
    tokens = scenario["first_tokens"]["google_ads"]
    assert [r.status for r in tokens] == [200, 200], "one token at the start, one refresh"
    rejected = [r for r in google if r.status == 401]
    assert len(rejected) == 1
    after = google[google.index(rejected[0]) + 1]
    assert after.status == 200
    assert after.headers["authorization"] != rejected[0].headers["authorization"]
    # the request that failed is sent again, same body and page token
    assert after.body == rejected[0].body
    assert {r.headers["developer-token"] for r in google} == {"fake-google-developer-token"}
    assert {r.headers["login-customer-id"] for r in google} == {"9990001111"}


def test_google_pages_send_the_page_token_in_the_body(scenario: dict[str, Any]) -> None:
    google = [r for r in scenario["first_requests"]["google_ads"] if r.status == 200]
    first_account = [r for r in google if "/customers/2020001/" in r.path]
    assert "pageToken" not in first_account[0].body
    assert all(r.body.get("pageToken") for r in first_account[1:])
    assert all("pageSize" not in r.body for r in google)
    assert len({r.body["query"] for r in first_account}) == 1


def test_linkedin_keeps_restli_syntax_unencoded(scenario: dict[str, Any]) -> None:
    linkedin = [r for r in scenario["first_requests"]["linkedin_ads"] if r.status == 200]
    assert all("dateRange=(start:(year:" in r.raw_query for r in linkedin)
    assert all("accounts=List(urn%3Ali%3AsponsoredAccount%3A" in r.raw_query for r in linkedin)
    assert {r.headers["linkedin-version"] for r in linkedin} == {"202611"}
    # ten days in windows of four: 4 + 4 + 2 per account
    assert sorted(requested_ranges("linkedin_ads", linkedin)) == [
        (str(FIRST), str(FIRST + dt.timedelta(days=3))),
        (str(FIRST + dt.timedelta(days=4)), str(FIRST + dt.timedelta(days=7))),
        (str(FIRST + dt.timedelta(days=8)), str(END)),
    ]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_second_run_asks_only_for_the_attribution_window(
    scenario: dict[str, Any], platform: str
) -> None:
    assert all(item.error is None for item in scenario["second_loads"])
    window = (str(END - dt.timedelta(days=LAG_DAYS)), str(END))
    assert requested_ranges(platform, scenario["second_requests"][platform]) == {window}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_restated_days_replace_old_values_without_duplicates(
    scenario: dict[str, Any], platform: str
) -> None:
    fake: FakeAdApis = scenario["fake"]
    first = scenario["expected_first"][platform]
    now = by_day(fake, platform)
    window_start = END - dt.timedelta(days=LAG_DAYS)
    expected = summed({d: now[d] if d >= window_start else first[d] for d in first})
    assert expected != summed(first), "the restatement should change the totals"
    assert scenario["second"]["unified"][UNIFIED_NAME[platform]] == expected
    assert scenario["second"]["raw"][platform] == (expected[0], expected[0])
    # a restatement older than the window is not read again: the old day stays
    assert now[RESTATED_BEFORE] != first[RESTATED_BEFORE]


def test_loaded_platform_sources_are_fresh(scenario: dict[str, Any]) -> None:
    results = scenario["freshness"]["results"]
    assert sorted(r["unique_id"] for r in results) == sorted(
        f"source.campaign_analytics.{platform}.ad_report" for platform in PLATFORMS
    )
    assert {r["status"] for r in results} == {"pass"}


def test_raw_tables_have_the_columns_the_sources_document(scenario: dict[str, Any]) -> None:
    """staging reads a platform that was never loaded from these types (macro loaded_source)."""
    settings = scenario["settings"]
    manifest = json.loads((settings.dbt_target_path / "manifest.json").read_text())
    for platform in PLATFORMS:
        source = manifest["sources"][f"source.campaign_analytics.{platform}.ad_report"]
        documented = [(c["name"], c["data_type"]) for c in source["columns"].values()]
        actual = clickhouse_rows(
            settings,
            "select name, type from system.columns "
            f"where database = '{settings.raw_database}' and table = '{platform}__ad_report' "
            "order by position",
        )
        assert sorted(documented) == sorted(actual), platform


# the first-party side as the marts define it: clicks on their impression's day, conversions
# on their own day when within the attribution window (30 days by default)
FIRST_PARTY_SQL = """
with events as (
    select (i.served_at at time zone 'UTC')::date as day, i.channel_id,
           i.cost as spend, 0 as clicks, 0 as conversions
    from impressions i
    union all
    select (i.served_at at time zone 'UTC')::date, i.channel_id, k.cost, 1, 0
    from clicks k join impressions i on i.id = k.impression_id
    union all
    select (v.converted_at at time zone 'UTC')::date, i.channel_id, 0, 0, 1
    from conversions v
    join clicks k on k.id = v.click_id
    join impressions i on i.id = k.impression_id
    where v.converted_at <= k.clicked_at + interval '30 days'
)
select c.name, e.day, sum(e.spend), sum(e.clicks), sum(e.conversions)
from events e join channels c on c.id = e.channel_id
where c.name = any(%s)
group by c.name, e.day
"""


def test_reconciliation_sets_each_platform_against_first_party_numbers(
    scenario: dict[str, Any],
) -> None:
    settings: Settings = scenario["settings"]
    mart = clickhouse_rows(
        settings,
        f"""
        select platform, first_party_channel, date_day, has_platform_data,
               has_first_party_data, toString(platform_spend), platform_clicks,
               platform_conversions, toString(first_party_spend), first_party_clicks,
               first_party_conversions, toString(spend_difference), clicks_difference
        from {settings.analytics_database}.rpt_platform_reconciliation
        """,
    )
    fake: FakeAdApis = scenario["fake"]
    first_party = {
        (name, day): (Decimal(spend), int(clicks), float(conversions))
        for name, day, spend, clicks, conversions in postgres_rows(
            settings, FIRST_PARTY_SQL, (sorted(PLATFORM_CHANNELS),)
        )
    }
    assert first_party, "the seed should serve some of the four platforms' channels"
    seen = set()
    for row in mart:
        platform, channel, day, has_platform, has_first_party = row[:5]
        source = next(p for p, name in UNIFIED_NAME.items() if name == platform)
        seen.add((channel, day))
        # the platform side is exactly what the fake generated for that day (second run)
        window_start = END - dt.timedelta(days=LAG_DAYS)
        days = by_day(fake, source) if day >= window_start else scenario["expected_first"][source]
        totals = days.get(day)
        expected_platform = (
            (totals.spend, totals.clicks, float(totals.conversions))
            if totals and totals.rows
            else (Decimal(0), 0, 0.0)
        )
        assert (Decimal(row[5]), row[6], row[7]) == expected_platform, (platform, day)
        assert has_platform == bool(totals and totals.rows)
        expected_first_party = first_party.get((channel, day), (Decimal(0), 0, 0.0))
        assert (Decimal(row[8]), row[9], row[10]) == expected_first_party, (channel, day)
        assert has_first_party == ((channel, day) in first_party)
        assert Decimal(row[11]) == expected_platform[0] - expected_first_party[0]
        assert row[12] == expected_platform[1] - expected_first_party[1]
    assert set(first_party) <= seen
