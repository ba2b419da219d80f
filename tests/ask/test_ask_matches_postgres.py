"""Execution accuracy: the number in each answer equals the KPI computed on PostgreSQL.

One module-scoped pipeline on real engines: generate a small data set (two advertisers),
add a campaign of advertiser 1 on Google, Meta and LinkedIn so that each of the issue's
reference prompts has data, load it with dlt, `dbt build` (publishes the marts). Then each
question goes through :func:`ask` exactly as the CLI runs it (compiled against the published
build, scoped to the advertiser) and its rows and sentence are compared with the same query
evaluated here in plain SQL on PostgreSQL, from the events the way the marts count them
(tests/dbt: clicks on their impression's day, conversions on their own day within the
attribution window; ratios are ratios of sums).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from campaign_analytics import published, warehouse
from campaign_analytics.ask import AskAnswer, ask, runner
from campaign_analytics.ask.sentences import format_value
from campaign_analytics.metrics.campaigns import CampaignInfo, list_campaigns
from campaign_analytics.metrics.catalog import Catalog
from campaign_analytics.metrics.query import MetricQuery
from campaign_analytics.settings import Settings
from tests.dbt.test_dbt_kpis_match_postgres import PG_EVENTS, load, module_settings
from tests.pipeline import cli, dbt, one_line_error, postgres_rows

pytestmark = pytest.mark.e2e

TODAY = dt.date(2026, 11, 18)  # a Wednesday
TENANT, OTHER = 1, 2
WINDOW_DAYS = 30  # the project's attribution_window_days
OMNICHANNEL = "Northwind · Omnichannel 2026"

REFERENCE = (
    "What's the ROAS for my latest Google campaign?",
    "Show me CTR trends for last week's Meta campaigns",
    "How much did I spend on LinkedIn ads this quarter?",
)
SAMPLE = (
    *REFERENCE,
    "top 3 campaigns by spend last month",
    "CTR by platform last week",
    "spend this month vs last month",
    "CPA on Meta this quarter",
    "conversions by day last week",
    "revenue for the Omnichannel campaign this quarter",
    "which platform had the highest CPC last month",
    "CVR in the last 30 days",
    "CPM on Google yesterday",
    "weekly clicks on LinkedIn since October",
)

SUMS = ("impressions", "clicks", "conversions", "spend", "revenue")
RATIOS = {  # metric: (numerator, denominator, scale)
    "ctr": ("clicks", "impressions", 1),
    "cvr": ("conversions", "clicks", 1),
    "cpc": ("spend", "clicks", 1),
    "cpm": ("spend", "impressions", 1000),
    "cpa": ("spend", "conversions", 1),
    "roas": ("revenue", "spend", 1),
}
GROUPS = {
    "campaign": "d.campaign_id",
    "platform": "ch.name",
    "day": "d.day",
    "week": "date_trunc('week', d.day)::date",
    "month": "date_trunc('month', d.day)::date",
    "quarter": "date_trunc('quarter', d.day)::date",
}
FILTERS = {"campaign": "d.campaign_id", "platform": "lower(ch.name)", "campaign_status": "c.status"}


def add_omnichannel_campaign(conn: psycopg.Connection) -> int:
    """Advertiser 1's campaign on Google, Meta and LinkedIn, delivering since mid-October."""
    from seed_generator import add_clicks, add_conversions, add_impressions

    (campaign_id,) = conn.execute(
        """
        insert into campaigns (advertiser_id, name, objective, status, start_date, end_date,
                               total_budget, daily_budget, bid_strategy, bid_amount, currency)
        select %(advertiser)s, %(name)s, 'sales', 'active', %(start)s, %(end)s, 20000, 900,
               'cpc', 1.2, (select currency from campaigns where advertiser_id = %(advertiser)s
                            order by id limit 1)
        returning id
        """,
        {
            "advertiser": TENANT,
            "name": OMNICHANNEL,
            "start": TODAY - dt.timedelta(days=35),
            "end": TODAY + dt.timedelta(days=20),
        },
    ).fetchone()
    conn.execute(
        "insert into campaign_channels (campaign_id, channel_id) "
        "select %s, id from channels where name in ('Google', 'Meta', 'LinkedIn')",
        (campaign_id,),
    )
    add_impressions(conn, campaign_id=campaign_id, count=4_000, seed=31, today=TODAY)
    add_clicks(conn, campaign_id=campaign_id, ratio=0.05, seed=32, today=TODAY)
    add_conversions(conn, campaign_id=campaign_id, ratio=0.25, seed=33, today=TODAY)
    return campaign_id


class Engine:
    """The chDB client, opened when needed and released for a CLI subprocess (one process
    holds a chDB directory at a time)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._db: Any = None

    @property
    def db(self) -> Any:
        if self._db is None:
            self._db = warehouse.client(self.settings)
        return self._db

    def release(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


@pytest.fixture(scope="module")
def built(make_database, session_dir: Path) -> Iterator[dict[str, Any]]:
    from seed_generator import generate_batch
    from seed_generator.migrations import apply_migrations

    settings = module_settings(make_database, session_dir)
    assert settings.postgres_dsn
    with psycopg.connect(settings.postgres_dsn) as conn:
        apply_migrations(conn)
        generate_batch(
            conn,
            advertisers=2,
            campaigns=6,
            impressions=6_000,
            ctr=0.05,
            cvr=0.2,
            days=60,
            seed=13,
            today=TODAY,
        )
        omnichannel = add_omnichannel_campaign(conn)
        conn.commit()
    load(settings)
    dbt(settings, "build", "--exclude-resource-type", "unit_test", "test")
    engine = Engine(settings)
    try:
        build = published.current(engine.db, settings).build
        yield {
            "settings": settings,
            "engine": engine,
            "build": build,
            "catalog": Catalog.load(settings.dbt_target_path / "manifest.json"),
            "campaigns": list_campaigns(engine.db, build.database, None),
            "omnichannel": omnichannel,
        }
    finally:
        engine.release()


def ask_as(built: dict[str, Any], tenant: int, question: str) -> AskAnswer:
    database = built["build"].database
    return ask(
        question,
        tenant=tenant,
        today=TODAY,
        run=runner(built["engine"].db, built["catalog"], database, tenant),
        campaigns=[c for c in built["campaigns"] if c.advertiser_id == tenant],
        catalog=built["catalog"],
        data_version=built["build"].invocation_id,
    )


def on_postgres(settings: Settings, query: MetricQuery, tenant: int) -> list[dict[str, Any]]:
    """``query`` evaluated on PostgreSQL: sums from the events, ratios of those sums, the
    compiler's order (the metric asked, then the group columns) and limit."""
    groups = list(query.group_by)
    where = ["c.advertiser_id = %(tenant)s"]
    params: dict[str, Any] = {"tenant": tenant, "window": WINDOW_DAYS}
    if query.time.start:
        where.append("d.day >= %(start)s")
        params["start"] = query.time.start
    if query.time.end:
        where.append("d.day <= %(end)s")
        params["end"] = query.time.end
    for i, f in enumerate(query.filters):
        values = f.value if isinstance(f.value, list) else [f.value]
        if f.dimension == "platform":
            values = [str(v).lower() for v in values]
        negate = "not " if f.op in {"ne", "not_in"} else ""
        where.append(f"{negate}{FILTERS[f.dimension]} = any(%(f{i})s)")
        params[f"f{i}"] = values
    columns = [f"{GROUPS[g]} as {g}" for g in groups] + [
        f"coalesce(sum(d.{m}), 0) as {m}" for m in SUMS
    ]
    sql = (
        f"with {PG_EVENTS} select {', '.join(columns)} from daily d "
        "join campaigns c on c.id = d.campaign_id join channels ch on ch.id = d.channel_id "
        f"where {' and '.join(where)}"
        + (f" group by {', '.join(GROUPS[g] for g in groups)}" if groups else "")
    )
    with psycopg.connect(settings.postgres_dsn) as conn:  # type: ignore[arg-type]
        cursor = conn.execute(sql, params)
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        for metric, (numerator, denominator, scale) in RATIOS.items():
            den = row[denominator]
            row[metric] = None if not den else float(row[numerator]) * scale / float(den)
    # the compiler's order: the terms asked for (NULLs last), then the group columns
    rows.sort(key=lambda r: tuple(r[g] for g in groups))
    for term in reversed(query.order_by):
        name = term.removeprefix("-")
        present = [r for r in rows if r[name] is not None]
        present.sort(key=lambda r, n=name: r[n], reverse=term.startswith("-"))
        rows = present + [r for r in rows if r[name] is None]
    return rows[: query.limit]


def same(got: Any, want: Any) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if isinstance(want, Decimal | int) and not isinstance(want, bool):
        return abs(Decimal(str(got)) - Decimal(want)) < Decimal("0.000001")
    if isinstance(want, dt.date):
        return str(got) == want.isoformat()
    if isinstance(want, float):
        return math.isclose(float(got), want, rel_tol=1e-9, abs_tol=1e-12)
    return got == want


def assert_answer_equals_postgres(built: dict[str, Any], answer: AskAnswer) -> None:
    assert answer.query is not None and answer.answer, answer
    expected = on_postgres(built["settings"], answer.query, TENANT)
    assert expected, f"no data on PostgreSQL for {answer.question!r}: choose other test data"
    assert len(answer.rows) == len(expected), (answer.rows, expected)
    for row, want in zip(answer.rows, expected, strict=True):
        for key in [*answer.query.group_by, *answer.query.metrics]:
            assert same(row[key], want[key]), (answer.question, key, row, want)
    # the sentence carries the number, formatted as the answer formats it
    metric = answer.query.metrics[0]
    kind = built["catalog"].metrics[metric].format
    currency = next(c.currency for c in built["campaigns"] if c.advertiser_id == TENANT)
    assert format_value(expected[0][metric], kind, currency) in answer.answer, answer.answer


def latest_google_campaign_on_postgres(settings: Settings) -> tuple[int, int]:
    """The advertiser's campaign with the greatest start date among those with Google
    events (started, not deleted), and how many share that start date."""
    rows = postgres_rows(
        settings,
        """
        select c.id, c.start_date from campaigns c
        where c.advertiser_id = %s and c.deleted_at is null and c.start_date <= %s
          and exists (select from impressions i join channels ch on ch.id = i.channel_id
                      where i.campaign_id = c.id and ch.name = 'Google')
        order by c.start_date desc, c.id
        """,
        (TENANT, TODAY),
    )
    return rows[0][0], sum(1 for _, start in rows if start == rows[0][1])


@pytest.mark.parametrize("question", SAMPLE)
def test_the_answer_equals_postgres(built: dict[str, Any], question: str) -> None:
    assert_answer_equals_postgres(built, ask_as(built, TENANT, question))


def test_latest_google_campaign_is_the_one_started_last(built: dict[str, Any]) -> None:
    answer = ask_as(built, TENANT, REFERENCE[0])
    latest, tied = latest_google_campaign_on_postgres(built["settings"])
    assert tied == 1, "the test data should have one latest Google campaign"
    assert answer.query is not None
    assert {f.dimension: f.value for f in answer.query.filters} == {
        "campaign": latest,
        "platform": "Google",
    }
    assert answer.meta["data_version"] == built["build"].invocation_id


def test_the_reference_prompts_read_the_platform_and_period(built: dict[str, Any]) -> None:
    trend = ask_as(built, TENANT, REFERENCE[1])
    assert trend.query is not None and trend.query.group_by == ["day"]
    assert (trend.query.time.start, trend.query.time.end) == (
        dt.date(2026, 11, 9),
        dt.date(2026, 11, 15),
    )
    assert "9\u201315 Nov 2026" in (trend.answer or "")
    spend = ask_as(built, TENANT, REFERENCE[2])
    assert spend.query is not None
    assert (spend.query.time.start, spend.query.time.end) == (dt.date(2026, 10, 1), TODAY)
    assert spend.query.filters[0].value == "LinkedIn"


def test_another_advertiser_cannot_reach_this_ones_campaign(built: dict[str, Any]) -> None:
    theirs = ask_as(built, OTHER, f"spend for {OMNICHANNEL}")
    assert theirs.query is None and theirs.clarification is not None
    assert all(OMNICHANNEL not in option for option in theirs.clarification.options)
    # their own total is theirs alone
    total = ask_as(built, OTHER, "total spend")
    assert total.query is not None
    want = on_postgres(built["settings"], total.query, OTHER)[0]["spend"]
    assert same(total.rows[0]["spend"], want)
    mine = on_postgres(built["settings"], total.query, TENANT)[0]["spend"]
    assert want != mine


def test_campaigns_carry_their_currency(built: dict[str, Any]) -> None:
    currencies = dict(
        postgres_rows(built["settings"], "select id, currency from campaigns order by id")
    )
    listed: list[CampaignInfo] = built["campaigns"]
    assert {c.campaign_id: c.currency for c in listed} == {
        k: v.strip() for k, v in currencies.items()
    }
    # and a cached listing (the service keeps them as JSON) keeps them
    assert [CampaignInfo.from_json(c.as_json()) for c in listed] == listed


def test_the_cli_prints_the_answer_and_the_whole_response(built: dict[str, Any]) -> None:
    settings = built["settings"]
    built["engine"].release()
    today = ("--today", TODAY.isoformat())
    plain = cli(settings, "ask", REFERENCE[2], "--advertiser-id", str(TENANT), *today)
    assert plain.returncode == 0, plain.stderr
    as_json = cli(settings, "ask", REFERENCE[2], "--advertiser-id", str(TENANT), *today, "--json")
    assert as_json.returncode == 0, as_json.stderr
    response = AskAnswer.model_validate_json(as_json.stdout)
    assert " ".join(plain.stdout.split()) == response.answer
    assert_answer_equals_postgres(built, response)
    assert response.meta["data_version"] == built["build"].invocation_id


def test_the_cli_needs_an_advertiser_when_there_are_several(built: dict[str, Any]) -> None:
    built["engine"].release()
    result = cli(built["settings"], "ask", "spend last week")
    one_line_error(result, "2 advertisers", "(1, 2)", "--advertiser-id")
    result = cli(built["settings"], "ask", "spend last week", "--advertiser-id", "9")
    one_line_error(result, "advertiser 9 has no campaigns", "advertisers: 1, 2")
