"""Small targeted additions: a few advertisers, campaigns, or events for one campaign."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import psycopg
from psycopg import sql

from seed_generator import entities, events, pgbinary, schedule, storage
from seed_generator.errors import SeedUsageError
from seed_generator.validation import (
    MAX_ENTITIES,
    check_count,
    check_days,
    check_rate,
    resolve_seed,
    resolve_today,
)

_DEFAULT_AUDIENCES = 12


def now_us() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp() * 1_000_000)


def horizon_us(today: dt.date | None) -> int:
    """The simulated present: midnight of an explicit ``today``, else the wall clock."""
    return now_us() if today is None else schedule.midnight_us(resolve_today(today))


def add_advertisers(conn: psycopg.Connection, *, count: int, seed: int | None = None) -> list[int]:
    """Insert ``count`` advertisers; returns their ids."""
    check_count("count", count, MAX_ENTITIES)
    seed = resolve_seed(seed)
    rng = np.random.default_rng(seed)
    with conn.transaction():
        first = storage.reserve_ids(conn, "advertisers", count)
        rows = entities.new_advertisers(entities.make_faker(seed), rng, first, count)
        entities.insert_advertisers(conn, rows)
    return [row.id for row in rows]


def add_campaigns(
    conn: psycopg.Connection,
    *,
    advertiser_id: int,
    count: int,
    seed: int | None = None,
    today: dt.date | None = None,
    days: int = 30,
) -> list[int]:
    """Insert ``count`` campaigns (with their channels) for one advertiser; returns their ids.

    Flights start within the ``days`` before ``today`` (or, for planned ones, after it).
    """
    check_count("count", count, MAX_ENTITIES)
    check_days(days)
    today = resolve_today(today)
    seed = resolve_seed(seed)
    rng = np.random.default_rng(seed)
    with conn.transaction():
        advertiser = entities.load_advertiser(conn, advertiser_id)
        channels, _ = entities.ensure_channels(conn)
        first = storage.reserve_ids(conn, "campaigns", count)
        rows = entities.new_campaigns(
            entities.make_faker(seed),
            rng,
            first,
            [advertiser],
            np.zeros(count, dtype=np.int64),
            channels,
            today,
            days,
        )
        entities.insert_campaigns(conn, rows)
    return [row.id for row in rows]


def _user_pool(conn: psycopg.Connection, adding: int) -> events.UserPool:
    """Viewers sized like the data already there, so new impressions reuse known users.

    Sized from the highest impression id: an index lookup, and unlike the planner's row
    estimate it does not change behind our back, which keeps seeded runs reproducible.
    """
    row = conn.execute("select coalesce(max(id), 0) from impressions").fetchone()
    existing = int(row[0]) if row else 0
    return events.UserPool.for_volume(existing + adding)


def live_campaign(conn: psycopg.Connection, campaign_id: int) -> entities.Campaign:
    campaign = entities.load_campaign(conn, campaign_id)
    if campaign.deleted:
        raise SeedUsageError(f"campaign {campaign_id} is deleted")
    return campaign


def add_impressions(
    conn: psycopg.Connection,
    *,
    campaign_id: int,
    count: int,
    seed: int | None = None,
    today: dt.date | None = None,
    trusted: bool = True,
    chunk_rows: int = 100_000,
) -> int:
    """Serve ``count`` impressions of one campaign over its flight days before ``today``.

    No clicks: add them with :func:`add_clicks`. Returns the number inserted.
    """
    check_count("count", count)
    rng = np.random.default_rng(resolve_seed(seed))
    today = resolve_today(today)
    with conn.transaction():
        campaign = live_campaign(conn, campaign_id)
        if not campaign.channels:
            raise SeedUsageError(f"campaign {campaign_id} runs on no (live) channel")
        first, last = campaign.delivery_days(today)
        if first > last:
            raise SeedUsageError(
                f"campaign {campaign_id} ({campaign.status}, {campaign.start_date} to "
                f"{campaign.end_date}) has no flight day before {today}"
            )
        if count == 0:
            return 0
        audience_ids = entities.live_audience_ids(conn) or entities.insert_audiences(
            conn, rng, _DEFAULT_AUDIENCES
        )
        lines = events.Lines.build([campaign], audience_ids)
        day0, ndays = schedule.day_number(first), (last - first).days + 1
        everywhere = np.full(len(lines), schedule.day_number(first))
        weights = schedule.day_weights(
            rng, lines.volume, lines.weekly, everywhere, everywhere + ndays - 1, day0, ndays
        )
        zeros = np.zeros(len(lines))
        funnel = events.Funnel(lines, zeros, zeros, _user_pool(conn, count))
        storage.lock_parents(
            conn,
            [(campaign.id, channel_id) for channel_id, _ in campaign.channels],
            [int(a) for a in np.unique(lines.audiences)],
        )
        with storage.trusted_references(conn, trusted):
            for line, served_at in schedule.served_times(rng, weights, day0, count, chunk_rows):
                block = events.simulate(rng, funnel, line, served_at, 0, clicks=False)
                events.write(conn, lines, block)
    return count


def _campaign_line(campaign: entities.Campaign) -> events.Lines:
    """A single line carrying the campaign's bid and objective (channel-independent)."""
    return events.Lines.build([replace(campaign, channels=((0, "other"),))], [])


def add_clicks(
    conn: psycopg.Connection,
    *,
    campaign_id: int,
    ratio: float,
    seed: int | None = None,
    today: dt.date | None = None,
) -> int:
    """Click ``ratio`` of the campaign's impressions that have no click yet; returns the count."""
    check_rate("ratio", ratio)
    rng = np.random.default_rng(resolve_seed(seed))
    horizon = horizon_us(today)
    with conn.transaction():
        campaign = live_campaign(conn, campaign_id)
        query = sql.SQL(
            "select i.id, i.served_at from impressions i where i.campaign_id = {}"
            " and not exists (select 1 from clicks c where c.impression_id = i.id) order by i.id"
        ).format(sql.Literal(campaign.id))
        with conn.cursor() as cursor:
            candidates = pgbinary.fetch_int8_columns(cursor, query, 2, timestamps=[1])
        picked = np.sort(rng.choice(len(candidates), round(ratio * len(candidates)), replace=False))
        impression_ids, served_at = candidates[picked, 0], candidates[picked, 1]
        clicked_at = events.after(
            rng, served_at, events.click_delays(rng, len(picked)), max(horizon, 0)
        )
        order = np.argsort(clicked_at, kind="stable")
        line = np.zeros(len(picked), dtype=np.int64)
        n = len(picked)
        storage.copy_clicks(
            conn,
            storage.reserve_ids(conn, "clicks", n) + np.arange(n),
            impression_ids[order],
            served_at[order],
            clicked_at[order],
            events.click_costs(rng, _campaign_line(campaign), line),
        )
    return n


def add_conversions(
    conn: psycopg.Connection,
    *,
    campaign_id: int,
    ratio: float,
    seed: int | None = None,
    today: dt.date | None = None,
) -> int:
    """Convert ``ratio`` of the campaign's clicks that have no conversion yet; returns the count."""
    check_rate("ratio", ratio)
    rng = np.random.default_rng(resolve_seed(seed))
    horizon = horizon_us(today)
    with conn.transaction():
        campaign = live_campaign(conn, campaign_id)
        query = sql.SQL(
            "select c.id, c.clicked_at from clicks c join impressions i on i.id = c.impression_id"
            " where i.campaign_id = {}"
            " and not exists (select 1 from conversions v where v.click_id = c.id) order by c.id"
        ).format(sql.Literal(campaign.id))
        with conn.cursor() as cursor:
            candidates = pgbinary.fetch_int8_columns(cursor, query, 2, timestamps=[1])
        picked = np.sort(rng.choice(len(candidates), round(ratio * len(candidates)), replace=False))
        click_ids, clicked_at = candidates[picked, 0], candidates[picked, 1]
        converted_at = events.after(
            rng, clicked_at, events.conversion_delays(rng, len(picked)), max(horizon, 0)
        )
        order = np.argsort(converted_at, kind="stable")
        n = len(picked)
        types, revenue = events.conversion_values(
            rng, _campaign_line(campaign), np.zeros(n, dtype=np.int64)
        )
        storage.copy_conversions(
            conn,
            storage.reserve_ids(conn, "conversions", n) + np.arange(n),
            click_ids[order],
            clicked_at[order],
            converted_at[order],
            types,
            revenue,
        )
    return n
