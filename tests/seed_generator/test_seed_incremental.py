"""The targeted commands' Python API: advertisers, campaigns and events for one campaign."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from seed_generator import (
    SeedUsageError,
    add_advertisers,
    add_campaigns,
    add_clicks,
    add_conversions,
    add_impressions,
    generate_batch,
    table_stats,
)


def _active_campaign(conn: psycopg.Connection, today: dt.date) -> int:
    """Create campaigns until one can serve before ``today``; returns its id."""
    [advertiser] = add_advertisers(conn, count=1, seed=3)
    ids = add_campaigns(conn, advertiser_id=advertiser, count=8, seed=3, today=today)
    row = conn.execute(
        "select id from campaigns where id = any(%s) and start_date < %s order by id limit 1",
        (ids, today),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_advertisers_and_campaigns(conn: psycopg.Connection, today: dt.date) -> None:
    ids = add_advertisers(conn, count=3, seed=1)
    assert ids == [1, 2, 3]
    campaigns = add_campaigns(conn, advertiser_id=2, count=4, seed=1, today=today)
    assert len(campaigns) == 4
    rows = conn.execute(
        "select advertiser_id, count(cc.id) from campaigns c"
        " join campaign_channels cc on cc.campaign_id = c.id group by c.id"
    ).fetchall()
    assert {advertiser for advertiser, _ in rows} == {2}
    assert all(1 <= channels <= 4 for _, channels in rows)
    assert add_advertisers(conn, count=0) == []


def test_impressions_fill_the_flight_before_today(conn: psycopg.Connection, today) -> None:
    campaign = _active_campaign(conn, today)
    assert add_impressions(conn, campaign_id=campaign, count=2_000, seed=1, today=today) == 2_000
    row = conn.execute(
        "select count(*), min(i.served_at)::date >= min(c.start_date),"
        " max(i.served_at) < %s, count(distinct i.channel_id) = (select count(*)"
        "   from campaign_channels where campaign_id = %s),"
        " count(distinct i.user_id) < count(*)"
        " from impressions i join campaigns c on c.id = i.campaign_id where c.id = %s",
        (today, campaign, campaign),
    ).fetchone()
    assert row == (2_000, True, True, True, True)
    assert conn.execute("select count(*) from clicks").fetchone() == (0,)
    assert conn.execute("select count(*) from audiences").fetchone() == (12,)


def test_clicks_take_a_share_of_unclicked_impressions(conn: psycopg.Connection, today) -> None:
    campaign = _active_campaign(conn, today)
    add_impressions(conn, campaign_id=campaign, count=1_000, seed=1, today=today)
    assert add_clicks(conn, campaign_id=campaign, ratio=0.1, seed=1, today=today) == 100
    # the next ratio applies to what is still unclicked
    assert add_clicks(conn, campaign_id=campaign, ratio=0.5, seed=2, today=today) == 450
    assert add_clicks(conn, campaign_id=campaign, ratio=0.0, seed=2, today=today) == 0
    row = conn.execute(
        "select count(*), count(distinct impression_id),"
        " bool_and(clicked_at >= impression_served_at), max(clicked_at) <= %s from clicks",
        (dt.datetime.combine(today, dt.time(), dt.UTC),),
    ).fetchone()
    assert row == (550, 550, True, True)
    assert add_conversions(conn, campaign_id=campaign, ratio=0.2, seed=1, today=today) == 110
    assert add_conversions(conn, campaign_id=campaign, ratio=1.0, seed=1, today=today) == 440
    row = conn.execute(
        "select count(*), bool_and(converted_at >= click_clicked_at),"
        " bool_and(converted_at <= click_clicked_at + interval '30 days') from conversions"
    ).fetchone()
    assert row == (550, True, True)


def test_clicks_on_a_campaign_without_impressions(conn: psycopg.Connection, today) -> None:
    campaign = _active_campaign(conn, today)
    assert add_clicks(conn, campaign_id=campaign, ratio=1.0, seed=1) == 0
    assert add_conversions(conn, campaign_id=campaign, ratio=1.0, seed=1) == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c, t: add_campaigns(c, advertiser_id=99, count=1, today=t), "advertiser 99"),
        (lambda c, t: add_campaigns(c, advertiser_id=1, count=-1, today=t), "--count"),
        (lambda c, t: add_campaigns(c, advertiser_id=1, count=1, days=10**6), "--days"),
        (lambda c, t: add_campaigns(c, advertiser_id=1, count=1, today=dt.date.max), "--today"),
        (lambda c, t: add_clicks(c, campaign_id=1, ratio=1, today=dt.date.min), "--today"),
        (lambda c, t: add_impressions(c, campaign_id=99, count=1, today=t), "campaign 99"),
        (lambda c, t: add_impressions(c, campaign_id=1, count=-5, today=t), "--count"),
        (lambda c, t: add_clicks(c, campaign_id=99, ratio=0.5, today=t), "campaign 99"),
        (lambda c, t: add_clicks(c, campaign_id=1, ratio=1.01, today=t), "--ratio"),
        (lambda c, t: add_conversions(c, campaign_id=1, ratio=-0.1, today=t), "--ratio"),
        (lambda c, t: add_advertisers(c, count=-1), "--count"),
    ],
)
def test_bad_arguments_write_nothing(conn, today, row_counts, call, message) -> None:
    add_advertisers(conn, count=1, seed=1)
    before = row_counts(conn)
    with pytest.raises(SeedUsageError, match=message):
        call(conn, today)
    assert row_counts(conn) == before


def test_planned_and_deleted_campaigns_do_not_serve(conn: psycopg.Connection, today) -> None:
    campaign = _active_campaign(conn, today)
    conn.execute(
        "update campaigns set start_date = %s, end_date = %s, status = 'planned' where id = %s",
        (today + dt.timedelta(days=3), today + dt.timedelta(days=9), campaign),
    )
    with pytest.raises(SeedUsageError, match="no flight day before"):
        add_impressions(conn, campaign_id=campaign, count=10, today=today)
    conn.execute("update campaigns set deleted_at = now() where id = %s", (campaign,))
    with pytest.raises(SeedUsageError, match=f"campaign {campaign} is deleted"):
        add_impressions(conn, campaign_id=campaign, count=10, today=today)
    with pytest.raises(SeedUsageError, match=f"campaign {campaign} is deleted"):
        add_clicks(conn, campaign_id=campaign, ratio=1.0, today=today)
    with pytest.raises(SeedUsageError, match=f"campaign {campaign} is deleted"):
        add_conversions(conn, campaign_id=campaign, ratio=1.0, today=today)


@pytest.mark.parametrize(("start", "end"), [(-20, -6), (-3, 40), (-1, 0)])
def test_impressions_stay_inside_the_flight(conn: psycopg.Connection, today, start, end) -> None:
    """Whatever the status, impressions fall on flight days before today."""
    campaign = _active_campaign(conn, today)
    status = "completed" if end < 0 else "active"
    conn.execute(
        "update campaigns set start_date = %s, end_date = %s, status = %s where id = %s",
        (today + dt.timedelta(days=start), today + dt.timedelta(days=end), status, campaign),
    )
    add_impressions(conn, campaign_id=campaign, count=3_000, seed=1, today=today)
    row = conn.execute(
        "select count(*), min((served_at at time zone 'UTC')::date),"
        " max((served_at at time zone 'UTC')::date) from impressions where campaign_id = %s",
        (campaign,),
    ).fetchone()
    last = min(today + dt.timedelta(days=end), today - dt.timedelta(days=1))
    assert row == (3_000, today + dt.timedelta(days=start), last)


def test_stats_agree_with_the_tables(conn: psycopg.Connection, today) -> None:
    generate_batch(conn, advertisers=2, campaigns=5, impressions=4_000, seed=9, today=today)
    conn.execute("update campaigns set deleted_at = now() where id = 1")
    stats = table_stats(conn)
    tables = {t.table: (t.rows, t.deleted) for t in stats.tables}
    assert tables["impressions"] == (4_000, None)
    assert tables["campaigns"] == (5, 1)
    overall, *channels = stats.funnels
    assert overall.channel == "all" and overall.impressions == 4_000
    assert sum(c.impressions for c in channels) == 4_000
    assert sum(c.clicks for c in channels) == overall.clicks == tables["clicks"][0]
    assert overall.reach < overall.impressions
    assert overall.ctr == overall.clicks / 4_000
    ranges = {r.table: r for r in stats.ranges}
    assert ranges["impressions"].last < dt.datetime.combine(today, dt.time(), dt.UTC)
