"""``mutate``: every kind of change an OLTP source sees, in one transaction."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from seed_generator import SeedRuntimeError, SeedUsageError, generate_batch, mutate


@pytest.fixture
def seeded(conn: psycopg.Connection, today: dt.date) -> psycopg.Connection:
    generate_batch(
        conn, advertisers=6, campaigns=24, impressions=30_000, ctr=0.04, cvr=0.2, seed=8,
        today=today,
    )  # fmt: skip
    return conn


def one(conn: psycopg.Connection, query: str, params: tuple[object, ...] = ()) -> object:
    row = conn.execute(query, params).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return row[0]


def test_each_kind_of_change_happens(seeded: psycopg.Connection, today: dt.date) -> None:
    before = {t: one(seeded, f"select count(*) from {t}") for t in ("impressions", "clicks")}
    last_id = one(seeded, "select max(id) from impressions")
    summary = mutate(seeded, seed=1, today=today)
    zero = {kind for kind, count in summary.items() if count == 0}
    # late conversions depend on luck with a few dozen late clicks; all else must happen
    assert zero <= {"late_conversions"}, summary

    assert summary["campaigns_updated"] == 5
    assert one(seeded, "select count(*) from campaigns where updated_at > created_at") >= 5

    # late events: new rows (created now) with timestamps days in the past
    late = one(
        seeded,
        "select count(*) from impressions where id > %s and served_at >= %s and served_at < %s"
        " and created_at > served_at + interval '1 day'",
        (last_id, today - dt.timedelta(days=7), today - dt.timedelta(days=1)),
    )
    assert late == summary["late_impressions"] == 50

    # soft deletes: flagged, not removed, and the campaigns' channels follow
    assert one(seeded, "select count(*) from advertisers where deleted_at is not null") == 1
    assert one(seeded, "select count(*) from audiences where deleted_at is not null") == 1
    soft = one(seeded, "select count(*) from campaigns where deleted_at is not null")
    assert soft == summary["soft_deleted_campaigns"] >= 2
    orphaned = one(
        seeded,
        "select count(*) from campaign_channels cc join campaigns c on c.id = cc.campaign_id"
        " where c.deleted_at is not null and cc.deleted_at is null",
    )
    assert orphaned == 0

    # hard deletes: whole chains are gone, children first, and nothing dangles
    assert summary["hard_deleted_impressions"] == 5
    assert summary["hard_deleted_conversions"] >= 1 and summary["hard_deleted_clicks"] >= 1
    after = {t: one(seeded, f"select count(*) from {t}") for t in ("impressions", "clicks")}
    assert after["impressions"] == before["impressions"] + 50 - 5
    assert after["clicks"] == (
        before["clicks"] + summary["late_clicks"] - summary["hard_deleted_clicks"]
    )

    # corrections moved updated_at on events
    for table in ("impressions", "clicks", "conversions"):
        corrected = one(seeded, f"select count(*) from {table} where updated_at > created_at")
        assert corrected == summary[f"corrected_{table}"] == 10


def test_late_impressions_stay_inside_the_flights(
    seeded: psycopg.Connection, today: dt.date
) -> None:
    # flights that end, or start, inside the late window (2 to 7 days ago)
    seeded.execute(
        "update campaigns set end_date = %s where start_date <= %s and id %% 2 = 0",
        (today - dt.timedelta(days=5), today - dt.timedelta(days=6)),
    )
    seeded.execute(
        "update campaigns set start_date = %s where end_date >= %s and id %% 2 = 1",
        (today - dt.timedelta(days=4), today),
    )
    last_id = one(seeded, "select max(id) from impressions")
    summary = mutate(
        seeded, seed=2, today=today, updates=0, late_impressions=2_000, late_clicks=0,
        soft_delete_campaigns=0, soft_delete_advertisers=0, hard_deletes=0,
    )  # fmt: skip
    assert summary["late_impressions"] == 2_000
    outside = one(
        seeded,
        "select count(*) from impressions i join campaigns c on c.id = i.campaign_id"
        " where i.id > %s and (i.served_at at time zone 'UTC')::date"
        "   not between c.start_date and least(c.end_date, %s)",
        (last_id, today),
    )
    assert outside == 0


def test_changes_keep_every_constraint(seeded: psycopg.Connection, today: dt.date) -> None:
    for seed in range(3):
        mutate(seeded, seed=seed, today=today, soft_delete_campaigns=3)
    dangling = one(
        seeded,
        "select (select count(*) from clicks c where not exists (select 1 from impressions i"
        "   where i.id = c.impression_id))"
        " + (select count(*) from conversions v where not exists (select 1 from clicks c"
        "   where c.id = v.click_id))",
    )
    assert dangling == 0
    # at least one live row of each kind survives, for streaming
    for table in ("advertisers", "campaigns", "audiences"):
        assert one(seeded, f"select count(*) from {table} where deleted_at is null") >= 1
    inconsistent = one(
        seeded,
        "select count(*) from campaigns where (status = 'planned' and start_date <= %s)"
        " or (status = 'active' and end_date < %s)",
        (today - dt.timedelta(days=1), today),
    )
    assert inconsistent == 0


def test_counts_can_be_zero(seeded: psycopg.Connection, row_counts, today) -> None:
    before = row_counts(seeded)
    summary = mutate(
        seeded, seed=1, today=today, updates=0, late_impressions=0, late_clicks=0,
        soft_delete_campaigns=0, soft_delete_audiences=0, soft_delete_advertisers=0,
        hard_deletes=0, hard_delete_campaign_channels=0, corrections=0,
    )  # fmt: skip
    assert set(summary.values()) == {0}
    assert row_counts(seeded) == before


def test_refuses_bad_arguments_and_empty_databases(conn: psycopg.Connection, today) -> None:
    with pytest.raises(SeedUsageError, match="--updates"):
        mutate(conn, seed=1, today=today, updates=-1)
    with pytest.raises(SeedRuntimeError, match="run `seed-generator batch`"):
        mutate(conn, seed=1, today=today)
