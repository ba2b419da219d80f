"""Realism of a generated batch: one seeded data set, many properties checked in SQL."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from collections.abc import Iterator

import numpy as np
import psycopg
import pytest

from seed_generator import generate_batch, schedule
from seed_generator.errors import SeedUsageError
from seed_generator.migrations import apply_migrations

TODAY = dt.date(2025, 3, 1)
CTR, CVR = 0.03, 0.08
IMPRESSIONS = 120_000


REPORTED: dict[str, int] = {}


@pytest.fixture(scope="module")
def data(make_database) -> Iterator[psycopg.Connection]:
    """A batch generated once for the module; the tests only read it."""
    with psycopg.connect(make_database("seed_batch"), autocommit=True) as conn:
        apply_migrations(conn)
        reported = generate_batch(
            conn,
            advertisers=8,
            campaigns=40,
            impressions=IMPRESSIONS,
            ctr=CTR,
            cvr=CVR,
            days=30,
            seed=42,
            today=TODAY,
            chunk_rows=25_000,  # several chunks, so chunk boundaries are exercised
        )
        REPORTED.update(reported)
        yield conn


def scalar(conn: psycopg.Connection, query: str, params: tuple[object, ...] = ()) -> object:
    row = conn.execute(query, params).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return row[0]


def test_reported_counts_match_the_tables(data: psycopg.Connection, row_counts) -> None:
    reported = REPORTED
    assert reported == row_counts(data)
    assert reported["impressions"] == IMPRESSIONS
    assert reported["advertisers"] == 8 and reported["campaigns"] == 40
    assert reported["channels"] == 10
    assert 40 <= reported["campaign_channels"] <= 160


def test_funnel_invariants(data: psycopg.Connection) -> None:
    assert scalar(data, "select count(*) from clicks") <= IMPRESSIONS
    assert scalar(data, "select count(*) from conversions") <= scalar(
        data, "select count(*) from clicks"
    )
    late_click = scalar(
        data,
        "select count(*) from clicks c join impressions i on i.id = c.impression_id"
        " where c.clicked_at < i.served_at or c.clicked_at > i.served_at + interval '2 hours'"
        " or c.impression_served_at <> i.served_at",
    )
    assert late_click == 0
    outside_window = scalar(
        data,
        "select count(*) from conversions v join clicks c on c.id = v.click_id"
        " where v.converted_at < c.clicked_at"
        " or v.converted_at > c.clicked_at + interval '30 days'",
    )
    assert outside_window == 0
    # most conversions come within hours, a tail takes days
    quick = scalar(
        data,
        "select avg((converted_at - click_clicked_at < interval '1 day')::int) from conversions",
    )
    assert 0.6 < float(quick) < 0.95  # type: ignore[arg-type]


def test_foreign_keys_hold_after_the_trusted_bulk_load(data: psycopg.Connection) -> None:
    orphans = scalar(
        data,
        """
        select (select count(*) from impressions i where not exists (
                    select 1 from campaign_channels cc
                    where cc.campaign_id = i.campaign_id and cc.channel_id = i.channel_id))
             + (select count(*) from impressions i where not exists (
                    select 1 from audiences a where a.id = i.audience_id))
             + (select count(*) from clicks c where not exists (
                    select 1 from impressions i where i.id = c.impression_id))
             + (select count(*) from conversions v where not exists (
                    select 1 from clicks c where c.id = v.click_id))
        """,
    )
    assert orphans == 0


def test_rates_hit_the_targets(data: psycopg.Connection) -> None:
    clicks = int(scalar(data, "select count(*) from clicks"))  # type: ignore[arg-type]
    conversions = int(scalar(data, "select count(*) from conversions"))  # type: ignore[arg-type]
    assert clicks / IMPRESSIONS == pytest.approx(CTR, rel=0.08)
    assert conversions / clicks == pytest.approx(CVR, rel=0.2)


def test_channels_differ_within_believable_ranges(data: psycopg.Connection) -> None:
    rows = data.execute(
        "select i.channel_id, count(*), count(c.id) from impressions i"
        " left join clicks c on c.impression_id = i.id group by 1 having count(*) >= 3000"
    ).fetchall()
    ctrs = [clicks / impressions for _, impressions, clicks in rows]
    assert len(ctrs) >= 3
    assert max(ctrs) / min(ctrs) > 2
    assert all(0.003 < ctr < 0.1 for ctr in ctrs)


def test_campaigns_differ_too(data: psycopg.Connection) -> None:
    rows = data.execute(
        "select i.campaign_id, i.channel_id, count(*), count(c.id) from impressions i"
        " left join clicks c on c.impression_id = i.id group by 1, 2 having count(*) >= 2000"
    ).fetchall()
    by_channel: dict[int, list[float]] = {}
    for _, channel, impressions, clicks in rows:
        by_channel.setdefault(channel, []).append(clicks / impressions)
    spreads = [max(v) / max(min(v), 1e-9) for v in by_channel.values() if len(v) >= 3]
    assert spreads and max(spreads) > 1.5


def test_costs_follow_the_bid_strategy(data: psycopg.Connection) -> None:
    bad_impressions = scalar(
        data,
        "select count(*) from impressions i join campaigns c on c.id = i.campaign_id where"
        " (c.bid_strategy = 'cpc' and i.cost <> 0) or (c.bid_strategy = 'cpm' and"
        " (i.cost < round(c.bid_amount / 1000 * 0.85, 6) or i.cost > c.bid_amount / 1000))",
    )
    assert bad_impressions == 0
    bad_clicks = scalar(
        data,
        "select count(*) from clicks k join impressions i on i.id = k.impression_id"
        " join campaigns c on c.id = i.campaign_id where"
        " (c.bid_strategy = 'cpm' and k.cost <> 0) or (c.bid_strategy = 'cpc' and"
        " (k.cost < round(c.bid_amount * 0.8, 6) or k.cost > c.bid_amount))",
    )
    assert bad_clicks == 0
    assert scalar(data, "select count(distinct bid_strategy) from campaigns") == 2


def test_events_stay_inside_flights_and_the_past(data: psycopg.Connection) -> None:
    outside = scalar(
        data,
        "select count(*) from impressions i join campaigns c on c.id = i.campaign_id"
        " where (i.served_at at time zone 'UTC')::date not between c.start_date and c.end_date",
    )
    assert outside == 0
    midnight = dt.datetime.combine(TODAY, dt.time(), dt.UTC)
    for table, column in (
        ("impressions", "served_at"),
        ("clicks", "clicked_at"),
        ("conversions", "converted_at"),
    ):
        latest = scalar(data, f"select max({column}) from {table}")
        assert latest < midnight  # type: ignore[operator]
    earliest = scalar(data, "select min(served_at) from impressions")
    assert earliest >= midnight - dt.timedelta(days=30)  # type: ignore[operator]


def test_statuses_agree_with_dates(data: psycopg.Connection) -> None:
    inconsistent = scalar(
        data,
        "select count(*) from campaigns where not case status"
        " when 'planned' then start_date > %(today)s"
        " when 'completed' then end_date < %(today)s"
        " when 'active' then start_date <= %(today)s and end_date >= %(today)s"
        " when 'paused' then start_date <= %(today)s end",
        {"today": TODAY},  # type: ignore[arg-type]
    )
    assert inconsistent == 0
    assert scalar(data, "select count(distinct status) from campaigns") == 4
    serving_planned = scalar(
        data,
        "select count(*) from impressions i join campaigns c on c.id = i.campaign_id"
        " where c.status = 'planned'",
    )
    assert serving_planned == 0


def test_daily_budgets_are_respected(data: psycopg.Connection) -> None:
    over = data.execute(
        """
        with spend as (
            select i.campaign_id, (i.served_at at time zone 'UTC')::date as day,
                   sum(i.cost) + coalesce(sum(k.cost), 0) as spend
            from impressions i left join clicks k on k.impression_id = i.id
            group by 1, 2
        )
        select s.campaign_id, s.day, s.spend, c.daily_budget
        from spend s join campaigns c on c.id = s.campaign_id
        where s.spend > c.daily_budget * 1.1
        """
    ).fetchall()
    assert over == []
    overspent_flight = scalar(
        data,
        "select count(*) from campaigns c where total_budget < (select sum(i.cost)"
        " from impressions i where i.campaign_id = c.id)",
    )
    assert overspent_flight == 0


def test_reach_is_well_below_impressions(data: psycopg.Connection) -> None:
    reach = int(scalar(data, "select count(distinct user_id) from impressions"))  # type: ignore[arg-type]
    assert reach < 0.5 * IMPRESSIONS
    top_share = scalar(
        data,
        "with f as (select count(*) n from impressions group by user_id),"
        " ranked as (select n, row_number() over (order by n desc) r, count(*) over () k from f)"
        " select sum(n) filter (where r <= k / 100)::float / sum(n) from ranked",
    )
    assert top_share > 0.1  # type: ignore[operator]


def test_daily_and_weekly_rhythm(data: psycopg.Connection) -> None:
    evening = scalar(
        data,
        "select count(*) from impressions where extract(hour from served_at) between 18 and 21",
    )
    night = scalar(
        data, "select count(*) from impressions where extract(hour from served_at) between 2 and 5"
    )
    assert evening > 3 * night  # type: ignore[operator]


def test_ids_follow_time(data: psycopg.Connection) -> None:
    backwards = scalar(
        data,
        "select count(*) from (select served_at < lag(served_at) over (order by id) b"
        " from impressions) x where b",
    )
    assert backwards == 0


def test_revenue_varies_by_advertiser(data: psycopg.Connection) -> None:
    rows = data.execute(
        "select cp.advertiser_id, avg(v.revenue) from conversions v"
        " join clicks k on k.id = v.click_id join impressions i on i.id = k.impression_id"
        " join campaigns cp on cp.id = i.campaign_id where v.conversion_type = 'purchase'"
        " group by 1 having count(*) >= 5"
    ).fetchall()
    averages = [float(avg) for _, avg in rows]
    assert len(averages) >= 2
    assert max(averages) / min(averages) > 1.5
    types = scalar(data, "select count(distinct conversion_type) from conversions")
    assert types >= 3  # type: ignore[operator]


def test_entities_look_real(data: psycopg.Connection) -> None:
    names = [n for (n,) in data.execute("select name from channels order by id").fetchall()]
    assert names[:8] == ["Meta", "Google", "TikTok", "LinkedIn", "Snapchat", "Pinterest", "X",
                         "Reddit"]  # fmt: skip
    advertisers = data.execute("select name, industry, country from advertisers").fetchall()
    assert len({name for name, _, _ in advertisers}) == len(advertisers)
    assert all(len(country.strip()) == 2 for _, _, country in advertisers)
    assert scalar(data, "select count(distinct objective) from campaigns") >= 4  # type: ignore[operator]
    assert scalar(data, "select bool_and(daily_budget <= total_budget) from campaigns") is True


def test_bad_arguments_write_nothing(conn: psycopg.Connection, row_counts) -> None:
    for kwargs in (
        {"ctr": 1.5},
        {"cvr": -0.1},
        {"impressions": -1},
        {"days": 0},
        {"advertisers": 0},
        {"campaigns": 0},
    ):
        with pytest.raises(SeedUsageError):
            generate_batch(conn, seed=1, today=TODAY, **kwargs)  # type: ignore[arg-type]
    assert set(row_counts(conn).values()) == {0}


def test_an_empty_batch_is_fine(conn: psycopg.Connection) -> None:
    counts = generate_batch(
        conn, advertisers=0, campaigns=0, impressions=0, audiences=0, seed=1, today=TODAY
    )
    assert counts["impressions"] == 0 and counts["channels"] == 10


def test_batches_add_up(conn: psycopg.Connection, row_counts) -> None:
    first = generate_batch(conn, advertisers=2, campaigns=4, impressions=3_000, seed=1, today=TODAY)
    second = generate_batch(
        conn, advertisers=2, campaigns=4, impressions=3_000, seed=1, today=TODAY
    )
    assert second["channels"] == 0  # already there
    assert second["audiences"] == 12  # new names: audience names are unique
    totals = row_counts(conn)
    for table in ("advertisers", "campaigns", "impressions", "clicks", "audiences"):
        assert totals[table] == first[table] + second[table]


def test_served_times_memory_stays_bounded_whatever_the_count() -> None:
    """10^11 impressions in 30 days: each hour is ~140 M; chunks stay chunk-sized."""
    rng = np.random.default_rng(1)
    weights = np.ones((4, 30))
    chunk_rows = 10_000
    tracemalloc.start()
    try:
        times = schedule.served_times(rng, weights, 20_000, 100_000_000_000, chunk_rows)
        chunks = [next(times) for _ in range(5)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [len(lines) for lines, _ in chunks] == [chunk_rows] * 5
    served = np.concatenate([at for _, at in chunks])
    assert (np.diff(served) >= 0).all(), "time-ordered across slices and chunks"
    # a few chunks of int64 pairs (160 kB each), not an hour's 140 M rows (2 GB)
    assert peak < 20 * 1024 * 1024, peak
