"""Every KPI mart equals the same KPI computed with plain SQL on PostgreSQL, twice.

One module-scoped pipeline on real engines: generate data in PostgreSQL, load it with dlt,
`dbt build`; snapshot every mart and its PostgreSQL twin; then `mutate` the source (updates,
late events, corrections, soft and hard deletes), load, `dbt build` again (incremental facts)
and snapshot again. Counts must match exactly, money to the cent (sums exactly), ratios to
1e-9. The attribution window is narrowed to a few days so that it actually excludes some
conversions, and pacing is measured on a fixed day so the data is reproducible.

The PostgreSQL side follows docs of the marts, not their SQL: a soft-deleted campaign (or
advertiser, channel) stays in the marts with its name and parent, flagged is_deleted, and its
events keep counting; clicks count on their impression's day, conversions on their own day.

The KPI report reads the published build (dbt_project/macros/publish_build.sql): after a
build whose tests fail it keeps showing the last good build, and warns.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from rich.console import Console

from campaign_analytics import report, warehouse
from campaign_analytics.settings import Settings, load_settings
from tests.kpi_sql import PG_EVENTS, ratio
from tests.pipeline import clickhouse_rows, dbt, postgres_rows

pytestmark = pytest.mark.e2e

TODAY = dt.date(2026, 3, 1)
WINDOW_DAYS = 3
DBT_VARS = json.dumps(
    {"attribution_window_days": WINDOW_DAYS, "pacing_as_of_date": TODAY.isoformat()}
)
PHASES = ("initial", "after_mutate", "after_emptying_a_day")

# Column comparisons: "=" exact (counts, ids, names, sums of money), "$" money to the cent
# (derived amounts), "~" a ratio (1e-9 relative; both NULL on a zero denominator).
EXACT, CENT, RATIO = "=", "$", "~"


@dataclass(frozen=True)
class Kpi:
    mart: str
    columns: tuple[tuple[str, str], ...]  # (column, comparison)
    order_by: str
    postgres: str  # select after PG_EVENTS, same columns, same order

    def clickhouse_sql(self, database: str) -> str:
        names = ", ".join(name for name, _ in self.columns)
        return f"select {names} from {database}.{self.mart} order by {self.order_by}"

    def postgres_sql(self) -> str:
        return f"with {PG_EVENTS} {self.postgres}"


KPIS = [
    Kpi(
        "rpt_campaign_ctr",
        (
            ("campaign_id", EXACT),
            ("campaign_name", EXACT),
            ("is_deleted", EXACT),
            ("impressions", EXACT),
            ("clicks", EXACT),
            ("ctr", RATIO),
        ),
        "campaign_id",
        f"""
        select ids.campaign_id, c.name, c.deleted_at is not null,
               coalesce(sum(d.impressions), 0), coalesce(sum(d.clicks), 0),
               {ratio("coalesce(sum(d.clicks), 0)", "coalesce(sum(d.impressions), 0)")}
        from campaign_ids ids
        join campaigns c on c.id = ids.campaign_id
        left join daily d on d.campaign_id = ids.campaign_id
        group by ids.campaign_id, c.name, c.deleted_at order by ids.campaign_id
        """,
    ),
    Kpi(
        "rpt_daily_ctr",
        (("date_day", EXACT), ("impressions", EXACT), ("clicks", EXACT), ("ctr", RATIO)),
        "date_day",
        f"""
        select day, sum(impressions), sum(clicks), {ratio("sum(clicks)", "sum(impressions)")}
        from daily group by day order by day
        """,
    ),
    Kpi(
        "rpt_advertiser_ctr",
        (
            ("advertiser_id", EXACT),
            ("advertiser_name", EXACT),
            ("is_deleted", EXACT),
            ("impressions", EXACT),
            ("clicks", EXACT),
            ("ctr", RATIO),
        ),
        "advertiser_id",
        f"""
        select ids.advertiser_id, a.name, a.deleted_at is not null,
               coalesce(sum(d.impressions), 0), coalesce(sum(d.clicks), 0),
               {ratio("coalesce(sum(d.clicks), 0)", "coalesce(sum(d.impressions), 0)")}
        from advertiser_ids ids
        join advertisers a on a.id = ids.advertiser_id
        left join campaigns c on c.advertiser_id = ids.advertiser_id
        left join daily d on d.campaign_id = c.id
        group by ids.advertiser_id, a.name, a.deleted_at order by ids.advertiser_id
        """,
    ),
    Kpi(
        "rpt_campaign_conversion_rate",
        (
            ("campaign_id", EXACT),
            ("clicks", EXACT),
            ("conversions", EXACT),
            ("cvr", RATIO),
        ),
        "campaign_id",
        f"""
        select ids.campaign_id, coalesce(sum(d.clicks), 0), coalesce(sum(d.conversions), 0),
               {ratio("coalesce(sum(d.conversions), 0)", "coalesce(sum(d.clicks), 0)")}
        from campaign_ids ids left join daily d on d.campaign_id = ids.campaign_id
        group by ids.campaign_id order by ids.campaign_id
        """,
    ),
    Kpi(
        "rpt_channel_conversions",
        (
            ("channel_id", EXACT),
            ("channel_name", EXACT),
            ("clicks", EXACT),
            ("conversions", EXACT),
            ("revenue", EXACT),
            ("cvr", RATIO),
            ("conversions_rank", EXACT),
        ),
        "channel_id",
        f"""
        select *, row_number() over (order by conversions desc, channel_id)
        from (
            select ids.channel_id, ch.name, coalesce(sum(d.clicks), 0) as clicks,
                   coalesce(sum(d.conversions), 0) as conversions,
                   coalesce(sum(d.revenue), 0),
                   {ratio("coalesce(sum(d.conversions), 0)", "coalesce(sum(d.clicks), 0)")}
            from channel_ids ids
            join channels ch on ch.id = ids.channel_id
            left join daily d on d.channel_id = ids.channel_id
            group by ids.channel_id, ch.name
        ) t order by channel_id
        """,
    ),
    Kpi(
        "rpt_campaign_channel_daily_performance",
        (
            ("date_day", EXACT),
            ("campaign_id", EXACT),
            ("channel_id", EXACT),
            ("campaign_name", EXACT),
            ("advertiser_id", EXACT),
            ("advertiser_name", EXACT),
            ("channel_name", EXACT),
            ("impressions", EXACT),
            ("clicks", EXACT),
            ("conversions", EXACT),
            ("spend", EXACT),
            ("revenue", EXACT),
            ("ctr", RATIO),
            ("cvr", RATIO),
            ("cpc", RATIO),
            ("cpm", RATIO),
            ("cpa", RATIO),
            ("roas", RATIO),
        ),
        "date_day, campaign_id, channel_id",
        f"""
        select d.day, d.campaign_id, d.channel_id, c.name, c.advertiser_id, a.name, ch.name,
               d.impressions, d.clicks, d.conversions, d.spend, d.revenue,
               {ratio("d.clicks", "d.impressions")}, {ratio("d.conversions", "d.clicks")},
               {ratio("d.spend", "d.clicks")}, {ratio("d.spend * 1000", "d.impressions")},
               {ratio("d.spend", "d.conversions")}, {ratio("d.revenue", "d.spend")}
        from daily d
        join campaigns c on c.id = d.campaign_id
        join advertisers a on a.id = c.advertiser_id
        join channels ch on ch.id = d.channel_id
        order by d.day, d.campaign_id, d.channel_id
        """,
    ),
    Kpi(
        "rpt_campaign_reach_frequency",
        (("campaign_id", EXACT), ("impressions", EXACT), ("reach", EXACT), ("frequency", RATIO)),
        "campaign_id",
        f"""
        select ids.campaign_id, count(i.id), count(distinct i.user_id),
               {ratio("count(i.id)", "count(distinct i.user_id)")}
        from campaign_ids ids left join impressions i on i.campaign_id = ids.campaign_id
        group by ids.campaign_id order by ids.campaign_id
        """,
    ),
    Kpi(
        "rpt_campaign_pacing",
        (
            ("campaign_id", EXACT),
            ("flight_days", EXACT),
            ("elapsed_days", EXACT),
            ("total_budget", EXACT),
            ("spend_to_date", EXACT),
            ("expected_spend_to_date", CENT),
            ("projected_end_spend", CENT),
            ("pacing_index", RATIO),
            ("pacing_status", EXACT),
        ),
        "campaign_id",
        """
        , flights as (
            select c.id, c.start_date, c.end_date, c.total_budget,
                   c.end_date - c.start_date + 1 as flight_days,
                   %(as_of)s::date - c.start_date + 1 as elapsed_days,
                   (select coalesce(sum(d.spend), 0) from daily d
                    where d.campaign_id = c.id and d.day between c.start_date and %(as_of)s)
                       as spend
            from campaigns c
            where c.status = 'active' and c.deleted_at is null
              and c.start_date <= %(as_of)s and %(as_of)s <= c.end_date
        ), paced as (
            select *, case when total_budget = 0 then null else
                (spend / total_budget)::float8 / (elapsed_days::float8 / flight_days) end
                    as pacing
            from flights
        )
        select id, flight_days, elapsed_days, total_budget, spend,
               total_budget * elapsed_days / flight_days, spend * flight_days / elapsed_days,
               pacing,
               case when pacing is null then 'no_budget' when pacing < 0.9 then 'underpacing'
                    when pacing > 1.1 then 'overpacing' else 'on_track' end
        from paced order by id
        """,
    ),
    Kpi(
        "rpt_channel_performance_quarterly",
        (
            ("quarter_start_date", EXACT),
            ("channel_id", EXACT),
            ("impressions", EXACT),
            ("clicks", EXACT),
            ("conversions", EXACT),
            ("spend", EXACT),
            ("revenue", EXACT),
            ("reach", EXACT),
            ("cpc", RATIO),
            ("cpm", RATIO),
            ("cpa", RATIO),
            ("roas", RATIO),
            ("frequency", RATIO),
        ),
        "quarter_start_date, channel_id",
        f"""
        , quarterly as (
            select date_trunc('quarter', day)::date as quarter, channel_id,
                   sum(impressions) as impressions, sum(clicks) as clicks,
                   sum(conversions) as conversions, sum(spend) as spend,
                   sum(revenue) as revenue
            from daily group by 1, 2
        ), reach as (
            select date_trunc('quarter', (served_at at time zone 'UTC')::date)::date as quarter,
                   channel_id, count(distinct user_id) as reach
            from impressions group by 1, 2
        )
        select q.quarter, q.channel_id, q.impressions, q.clicks, q.conversions, q.spend,
               q.revenue, coalesce(r.reach, 0),
               {ratio("q.spend", "q.clicks")}, {ratio("q.spend * 1000", "q.impressions")},
               {ratio("q.spend", "q.conversions")}, {ratio("q.revenue", "q.spend")},
               {ratio("q.impressions", "coalesce(r.reach, 0)")}
        from quarterly q left join reach r using (quarter, channel_id)
        order by q.quarter, q.channel_id
        """,
    ),
]

FACT_TOTALS = """
select 'click', count(*), sum(cost), 0::numeric, count(*) from clicks
union all
select 'conversion', count(*), 0, sum(revenue),
       count(*) filter (where v.converted_at <= k.clicked_at + make_interval(days => %(window)s))
from conversions v join clicks k on k.id = v.click_id
union all
select 'impression', count(*), sum(cost), 0, count(*) from impressions
order by 1
"""


@dataclass
class Snapshot:
    marts: dict[str, list[tuple]]
    postgres: dict[str, list[tuple]]
    fact_totals: tuple[list[tuple], list[tuple]]
    transformed_at_values: int
    report_marts: dict[str, list[dict[str, Any]]]
    # the report's platform table for one platform and week, and the same on PostgreSQL
    report_filtered: tuple[list[dict[str, Any]], list[tuple]]
    # the build the report read, and its warning (None when the last build was published)
    report_build: str
    report_warning: str | None
    # (impressions, clicks) summed at each grain, per advertiser from two marts, and in PG
    grain_totals: dict[str, Any]


def module_settings(make_database: Callable[[], str], session_dir: Path) -> Settings:
    suffix = uuid.uuid4().hex[:8]
    return load_settings(
        {
            "CA_DATA_DIR": str(session_dir / f"dbt_{suffix}"),
            "DBT_TARGET_PATH": str(session_dir / f"dbt_{suffix}" / "dbt_target"),
            "POSTGRES_DSN": make_database(),
            "CHDB_PATH": str(session_dir / "chdb"),
            "CLICKHOUSE_RAW_DATABASE": f"raw_{suffix}",
            "CLICKHOUSE_DATABASE": f"analytics_{suffix}",
        }
    )


def load(settings: Settings) -> None:
    """`make load`: dlt, then the reconciliation that removes rows hard-deleted at the source."""
    from dlt_pipelines.run import run_and_report

    run_and_report(settings, full_refresh=False, console=Console(quiet=True))


def parameters() -> dict[str, Any]:
    return {"window": WINDOW_DAYS, "as_of": TODAY}


def busiest_platform(settings: Settings) -> tuple[str, dt.date]:
    name, last_day = postgres_rows(
        settings,
        "select ch.name, max((i.served_at at time zone 'UTC')::date) from impressions i "
        "join channels ch on ch.id = i.channel_id group by ch.name order by count(*) desc limit 1",
    )[0]
    return name, last_day


def platform_spend_on_postgres(settings: Settings, filters: report.Filters) -> list[tuple]:
    """The report's "Spend and ROAS per platform" table, on PostgreSQL."""
    assert filters.platforms and filters.start and filters.end
    return postgres_rows(
        settings,
        f"""with {PG_EVENTS}
        select d.channel_id, sum(d.spend), sum(d.revenue),
               {ratio("sum(d.revenue)", "sum(d.spend)")}, {ratio("sum(d.spend)", "sum(d.clicks)")}
        from daily d join channels ch on ch.id = d.channel_id
        where lower(ch.name) = lower(%(platform)s) and d.day between %(start)s and %(end)s
        group by d.channel_id order by d.channel_id
        """,
        parameters()
        | {"platform": filters.platforms[0], "start": filters.start, "end": filters.end},
    )


def snapshot(settings: Settings) -> Snapshot:
    db_name = settings.analytics_database
    marts = {k.mart: clickhouse_rows(settings, k.clickhouse_sql(db_name)) for k in KPIS}
    expected = {k.mart: postgres_rows(settings, k.postgres_sql(), parameters()) for k in KPIS}
    fact = clickhouse_rows(
        settings,
        f"select toString(event_type), count(), sum(cost), sum(revenue), countIf(is_attributed) "
        f"from {db_name}.fct_ad_events group by event_type order by 1",
    )
    transformed = clickhouse_rows(
        settings, f"select uniqExact(transformed_at) from {db_name}.fct_ad_events"
    )[0][0]
    platform, last_day = busiest_platform(settings)
    filters = report.Filters(last_day - dt.timedelta(days=6), last_day, (platform.upper(),))
    db = warehouse.client(settings)
    try:
        whole = report.collect(db, settings)
        everything = {r.section.title: r.records() for r in whole.results}
        filtered = {
            r.section.title: r.records() for r in report.collect(db, settings, filters).results
        }
    finally:
        db.close()
    total = "select sum(impressions), sum(clicks) from {db}.{mart}"
    per_advertiser = (
        "select advertiser_id, sum(impressions), sum(clicks) from {db}.{mart} "
        "group by advertiser_id order by advertiser_id"
    )
    grain_totals = {
        grain: clickhouse_rows(settings, total.format(db=db_name, mart=mart))[0]
        for grain, mart in (
            ("advertiser", "rpt_advertiser_ctr"),
            ("campaign", "rpt_campaign_ctr"),
            ("day", "rpt_daily_ctr"),
            ("day x campaign x channel", "rpt_campaign_channel_daily_performance"),
        )
    } | {
        "postgres": postgres_rows(
            settings,
            "select (select count(*) from impressions), "
            "(select count(*) from clicks k join impressions i on i.id = k.impression_id)",
        )[0],
        "per advertiser from campaigns": clickhouse_rows(
            settings, per_advertiser.format(db=db_name, mart="rpt_campaign_ctr")
        ),
        "per advertiser": clickhouse_rows(
            settings, per_advertiser.format(db=db_name, mart="rpt_advertiser_ctr")
        ),
    }
    return Snapshot(
        marts=marts,
        postgres=expected,
        fact_totals=(fact, postgres_rows(settings, FACT_TOTALS, parameters())),
        transformed_at_values=transformed,
        report_marts=everything,
        report_filtered=(
            filtered["Spend and ROAS per platform"],
            platform_spend_on_postgres(settings, filters),
        ),
        report_build=whole.published.build.invocation_id,
        report_warning=whole.published.warning(),
        grain_totals=grain_totals,
    )


@pytest.fixture(scope="module")
def pipeline(make_database, session_dir: Path) -> Iterator[dict[str, Any]]:
    from seed_generator import generate_batch, mutate
    from seed_generator.migrations import apply_migrations

    settings = module_settings(make_database, session_dir)
    assert settings.postgres_dsn
    with psycopg.connect(settings.postgres_dsn) as conn:
        apply_migrations(conn)
        generate_batch(
            conn,
            advertisers=4,
            campaigns=12,
            impressions=8_000,
            ctr=0.05,
            cvr=0.2,
            days=30,
            seed=20,
            today=TODAY,
        )
        conn.commit()
    load(settings)
    # unit tests run in test_pipeline_e2e's build, with the project's own vars: the
    # attribution boundary test pins the default window, which DBT_VARS narrows here
    dbt(settings, "build", "--exclude-resource-type", "unit_test", "--vars", DBT_VARS)
    snapshots = {"initial": snapshot(settings)}

    with psycopg.connect(settings.postgres_dsn) as conn:
        changes = mutate(
            conn,
            seed=21,
            today=TODAY,
            updates=3,
            late_impressions=20,
            late_clicks=5,
            soft_delete_campaigns=1,
            soft_delete_audiences=1,
            soft_delete_advertisers=1,
            hard_deletes=3,
            corrections=3,
        )
        conn.commit()
    load(settings)
    dbt(settings, "build", "--exclude-resource-type", "unit_test", "--vars", DBT_VARS)
    snapshots["after_mutate"] = snapshot(settings)

    # Every event of one day deleted at the source: no insert writes that day's partition
    # (insert_overwrite), so the facts' post-hooks must drop it. The first day: its
    # conversions all come from its own clicks.
    day = "(served_at at time zone 'UTC')::date"
    with psycopg.connect(settings.postgres_dsn) as conn:
        (first_day,) = conn.execute(f"select min({day}) from impressions").fetchone()
        day_impressions = f"select id from impressions where {day} = %(day)s"
        day_clicks = f"select id from clicks where impression_id in ({day_impressions})"
        conn.execute(
            f"delete from conversions where click_id in ({day_clicks}) "
            "or (converted_at at time zone 'UTC')::date = %(day)s",
            {"day": first_day},
        )
        conn.execute(f"delete from clicks where id in ({day_clicks})", {"day": first_day})
        conn.execute(f"delete from impressions where {day} = %(day)s", {"day": first_day})
    load(settings)
    dbt(settings, "build", "--exclude-resource-type", "unit_test", "--vars", DBT_VARS)
    snapshots["after_emptying_a_day"] = snapshot(settings)

    # An impression stamped in 2999: its day is kept (Date32, not wrapped into 2101), fails
    # the test that every day lies in dim_dates, and the build is not published, so the
    # report keeps showing the last good build, and warns.
    with psycopg.connect(settings.postgres_dsn) as conn:
        conn.execute(
            "insert into impressions (campaign_id, channel_id, audience_id, user_id, served_at,"
            " cost) select campaign_id, channel_id, audience_id, 1, '2999-06-01 12:00+00', 1.5"
            " from impressions order by id limit 1"
        )
    load(settings)
    with pytest.raises(AssertionError, match="within_dim_dates"):
        dbt(settings, "build", "--exclude-resource-type", "unit_test", "--vars", DBT_VARS)
    failed_build = {
        "snapshot": snapshot(settings),
        "working_days": clickhouse_rows(
            settings,
            f"select toString(performance_date), count() from "
            f"{settings.analytics_database}.fct_ad_events where performance_date > '2100-01-01' "
            "group by 1",
        ),
    }

    dbt(settings, "docs", "generate", "--vars", DBT_VARS)
    target = settings.dbt_target_path
    # only the first-party source is loaded here; tests/ad_apis loads and checks the
    # ad-platform API sources
    dbt(settings, "source", "freshness", "--select", "source:ad_platform")
    yield {
        "freshness": json.loads((target / "sources.json").read_text()),
        "settings": settings,
        "changes": changes,
        "emptied_day": first_day,
        "snapshots": snapshots,
        "failed_build": failed_build,
        "manifest": json.loads((target / "manifest.json").read_text()),
        "catalog": json.loads((target / "catalog.json").read_text()),
    }


def same(a: Any, b: Any, how: str) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if how == RATIO:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    if how == CENT:
        return abs(Decimal(str(a)) - Decimal(str(b))) < Decimal("0.01")
    if isinstance(a, Decimal | int) and isinstance(b, Decimal | int):
        return Decimal(a) == Decimal(b)
    return a == b


def assert_same_rows(
    kpi_columns: tuple[tuple[str, str], ...], got: list[tuple], expected: list[tuple]
) -> None:
    assert len(got) == len(expected), f"{len(got)} rows in ClickHouse, {len(expected)} in PG"
    for row, want in zip(got, expected, strict=True):
        for (name, how), a, b in zip(kpi_columns, row, want, strict=True):
            assert same(a, b, how), f"{name}: {a!r} != {b!r}\n  mart: {row}\n  PG:   {want}"


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("kpi", KPIS, ids=lambda k: k.mart)
def test_kpi_mart_equals_postgres(pipeline: dict[str, Any], phase: str, kpi: Kpi) -> None:
    snap = pipeline["snapshots"][phase]
    assert snap.postgres[kpi.mart] or kpi.mart == "rpt_campaign_pacing"
    assert_same_rows(kpi.columns, snap.marts[kpi.mart], snap.postgres[kpi.mart])


@pytest.mark.parametrize("phase", PHASES)
def test_fact_totals_equal_postgres(pipeline: dict[str, Any], phase: str) -> None:
    got, expected = pipeline["snapshots"][phase].fact_totals
    columns = ("type", "rows", "cost", "revenue", "attributed")
    assert_same_rows(tuple((name, EXACT) for name in columns), got, expected)


def test_the_data_exercises_what_it_should(pipeline: dict[str, Any]) -> None:
    snap = pipeline["snapshots"]["after_mutate"]
    attributed = {row[0]: (row[1], row[4]) for row in snap.fact_totals[0]}
    conversions, within_window = attributed["conversion"]
    assert 0 < within_window < conversions, "the window should exclude some conversions"
    assert snap.marts["rpt_campaign_pacing"], "no running flight to pace"
    assert any(row[2] for row in snap.marts["rpt_campaign_ctr"]), "no deleted campaign"
    changes = pipeline["changes"]
    assert changes["hard_deleted_impressions"] and changes["corrected_impressions"]


def test_a_day_left_without_events_leaves_the_marts(pipeline: dict[str, Any]) -> None:
    day, snapshots = pipeline["emptied_day"], pipeline["snapshots"]
    assert day in [row[0] for row in snapshots["after_mutate"].marts["rpt_daily_ctr"]]
    assert day not in [row[0] for row in snapshots["after_emptying_a_day"].marts["rpt_daily_ctr"]]


def test_a_changed_attribution_window_stops_an_incremental_build(
    pipeline: dict[str, Any],
) -> None:
    other_window = json.dumps({"attribution_window_days": WINDOW_DAYS + 4})
    built_with = rf"built with attribution_window_days \[{WINDOW_DAYS}\]"
    with pytest.raises(AssertionError, match=built_with):
        dbt(pipeline["settings"], "run", "-s", "fct_ad_events", "--vars", other_window)


def test_second_build_rewrote_only_the_changed_days(pipeline: dict[str, Any]) -> None:
    # one build time per rewritten day partition: days the mutation did not touch keep the
    # first build's rows
    assert pipeline["snapshots"]["initial"].transformed_at_values == 1
    assert pipeline["snapshots"]["after_mutate"].transformed_at_values == 2


@pytest.mark.parametrize("phase", PHASES)
def test_report_tables_equal_the_kpi_marts(pipeline: dict[str, Any], phase: str) -> None:
    snap = pipeline["snapshots"][phase]
    tables = snap.report_marts

    by_campaign = {r[0]: r for r in snap.marts["rpt_campaign_ctr"]}
    for row in tables["CTR by campaign"]:
        mart = by_campaign[row["campaign"]]
        assert (row["campaign_name"], row["impressions"], row["clicks"]) == (
            mart[1],
            mart[3],
            mart[4],
        )
        assert same(row["ctr"], mart[5], RATIO)

    daily = {r[0]: r for r in snap.marts["rpt_daily_ctr"]}
    assert [r["day"] for r in tables["Daily impressions and clicks"]] == list(daily)
    for row in tables["Daily impressions and clicks"]:
        assert (row["impressions"], row["clicks"]) == daily[row["day"]][1:3]

    by_advertiser = {r[0]: r for r in snap.marts["rpt_advertiser_ctr"]}
    for row in tables["CTR per advertiser"]:
        mart = by_advertiser[row["advertiser"]]
        assert (row["impressions"], row["clicks"]) == (mart[3], mart[4])
        assert same(row["ctr"], mart[5], RATIO)

    by_campaign_cvr = {r[0]: r for r in snap.marts["rpt_campaign_conversion_rate"]}
    for row in tables["Conversion rate per campaign"]:
        mart = by_campaign_cvr[row["campaign"]]
        assert (row["clicks"], row["conversions"]) == (mart[1], mart[2])
        assert same(row["cvr"], mart[3], RATIO)

    # the report lists channels with activity; the mart every channel, so compare the ranks
    # of those that converted
    ranked = sorted(snap.marts["rpt_channel_conversions"], key=lambda r: r[6])
    top = next(t for t in tables if t.startswith("Top"))
    converted = [(r["channel"], r["conversions"]) for r in tables[top] if r["conversions"]]
    assert converted
    assert converted == [(r[0], r[3]) for r in ranked if r[3]][: len(converted)]


@pytest.mark.parametrize("phase", PHASES)
def test_filtered_report_equals_postgres(pipeline: dict[str, Any], phase: str) -> None:
    rows, expected = pipeline["snapshots"][phase].report_filtered
    got = [(r["channel"], r["spend"], r["revenue"], r["roas"], r["cpc"]) for r in rows]
    columns = (
        ("channel_id", EXACT),
        ("spend", EXACT),
        ("revenue", EXACT),
        ("roas", RATIO),
        ("cpc", RATIO),
    )
    assert got
    assert_same_rows(columns, got, expected)


def first_party_sources(manifest: dict[str, Any]) -> set[str]:
    """The loaded sources: the ad-platform API sources stay unloaded in this module."""
    return {uid for uid, s in manifest["sources"].items() if s["source_name"] == "ad_platform"}


def test_source_freshness_runs_and_passes(pipeline: dict[str, Any]) -> None:
    results = pipeline["freshness"]["results"]
    assert len(results) == len(first_party_sources(pipeline["manifest"]))
    assert {r["status"] for r in results} == {"pass"}


def test_docs_catalog_is_complete_and_every_column_documented(pipeline: dict[str, Any]) -> None:
    manifest, catalog = pipeline["manifest"], pipeline["catalog"]
    models = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["package_name"] == "campaign_analytics"
    }
    assert set(models) <= set(catalog["nodes"]), "models missing from the catalog"
    sources = first_party_sources(manifest)
    assert sources <= set(catalog["sources"]), "sources missing from catalog"
    undocumented = [
        f"{node['name']}.{column}"
        for uid, node in models.items()
        for column in catalog["nodes"][uid]["columns"]
        if not node["columns"].get(column, {}).get("description")
    ]
    assert not undocumented
    stale = [
        f"{node['name']}.{column}"
        for uid, node in models.items()
        for column in node["columns"]
        if column not in catalog["nodes"][uid]["columns"]
    ]
    assert not stale, "documented columns the models do not have"
    undocumented_sources = [
        f"{source['name']}.{column}"
        for uid, source in manifest["sources"].items()
        if uid in sources
        for column in catalog["sources"][uid]["columns"]
        if not source["columns"].get(column, {}).get("description")
    ]
    assert not undocumented_sources


def test_the_docs_site_opens_on_the_project_overview(pipeline: dict[str, Any]) -> None:
    overview = pipeline["manifest"]["docs"]["doc.campaign_analytics.__overview__"]
    for must in ("macros/kpis.sql", "published", "lineage"):
        assert must in overview["block_contents"]


@pytest.mark.parametrize("phase", PHASES)
def test_every_grain_adds_up_to_the_same_totals(pipeline: dict[str, Any], phase: str) -> None:
    """Advertiser = campaign = day = PostgreSQL, soft-deleted campaigns and advertisers included."""
    totals = pipeline["snapshots"][phase].grain_totals
    expected = tuple(int(v) for v in totals["postgres"])
    for grain in ("advertiser", "campaign", "day", "day x campaign x channel"):
        assert tuple(int(v) for v in totals[grain]) == expected, grain
    with_events = [row for row in totals["per advertiser"] if row[1]]
    assert with_events == totals["per advertiser from campaigns"]


def test_soft_deleted_entities_keep_their_names_and_history(pipeline: dict[str, Any]) -> None:
    snap = pipeline["snapshots"]["after_mutate"]
    deleted_campaigns = [r for r in snap.marts["rpt_campaign_ctr"] if r[2]]
    assert deleted_campaigns and all(r[1] for r in deleted_campaigns), "names kept"
    assert any(r[3] for r in deleted_campaigns), "a deleted campaign with impressions"
    deleted_advertisers = [r for r in snap.marts["rpt_advertiser_ctr"] if r[2]]
    assert deleted_advertisers and any(r[3] for r in deleted_advertisers)


def test_a_failed_build_is_not_published_and_the_report_says_so(pipeline: dict[str, Any]) -> None:
    good, failed = pipeline["snapshots"]["after_emptying_a_day"], pipeline["failed_build"]
    after = failed["snapshot"]
    # the working tables moved on (fct_ad_events holds the new row, on its real day) ...
    assert failed["working_days"] == [("2999-06-01", 1)]
    # ... the report did not: same build, same numbers, and a warning naming the failure
    assert after.report_build == good.report_build
    assert after.report_marts == good.report_marts
    assert good.report_warning is None
    assert after.report_warning and "failed" in after.report_warning
    assert "fct_ad_events_performance_date_within_dim_dates" in after.report_warning


def test_published_kpi_marts_are_views_over_their_own_builds_clones(
    pipeline: dict[str, Any],
) -> None:
    """A KPI mart costs nothing to publish and reads only its build: a view over the clones."""
    settings = pipeline["settings"]
    analytics = settings.analytics_database
    ((database,),) = clickhouse_rows(
        settings,
        f"select published_database from {analytics}.dbt_builds where status = 'published' "
        "order by finished_at desc limit 1",
    )
    relations = {
        name: (engine, create)
        for name, engine, create in clickhouse_rows(
            settings,
            f"select name, engine, create_table_query from system.tables "
            f"where database = '{database}'",
        )
    }
    views = {name for name, (engine, _) in relations.items() if engine == "View"}
    assert {kpi.mart for kpi in KPIS} <= views
    assert relations["fct_campaign_performance_daily"][0] == "AggregatingMergeTree"
    for name in views:
        create = relations[name][1]
        assert f"{database}." in create, name
        assert f"{analytics}." not in create, f"{name} reads the working tables"
    # the unified ad report and the reconciliation read a table model and a seed: views too,
    # with clones of those beside them
    assert {"rpt_ad_report", "rpt_platform_reconciliation"} <= views
    assert {"int_ad_reporting__ad_report", "ad_reporting_platform_channels"} <= set(relations)
    # and the numbers come out of the clone: the day mart sums the published daily fact
    (from_view,) = clickhouse_rows(
        settings, f"select sum(impressions), sum(clicks) from `{database}`.rpt_daily_ctr"
    )
    (from_fact,) = clickhouse_rows(
        settings,
        f"select sum(impressions), sum(clicks) from `{database}`.fct_campaign_performance_daily",
    )
    assert from_view == from_fact


def test_each_publish_takes_a_build_database_of_its_own(pipeline: dict[str, Any]) -> None:
    """The module's publishes (fewer than the four build databases) each wrote into one the
    builds before it did not name, and those are all the build databases there are (the
    turns after four: test_live)."""
    settings = pipeline["settings"]
    analytics = settings.analytics_database
    published = [
        database
        for (database,) in clickhouse_rows(
            settings,
            f"select published_database from {analytics}.dbt_builds where status = 'published' "
            "order by finished_at",
        )
    ]
    assert published == [f"{analytics}__build_{number}" for number in range(len(published))]
    assert len(published) > 2
    left = clickhouse_rows(
        settings, f"select name from system.databases where startsWith(name, '{analytics}__build_')"
    )
    assert sorted(name for (name,) in left) == published
