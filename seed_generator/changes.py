"""``mutate``: the changes an OLTP source sees besides new rows, to exercise replication.

Updates move ``updated_at`` (by trigger); late-arriving events carry old timestamps but new
``created_at``/``updated_at``; soft deletes set ``deleted_at``; hard deletes remove rows
(invisible to an ``updated_at`` cursor); corrections rewrite money on existing events.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import psycopg
from psycopg import sql

from seed_generator import entities, events, schedule, storage
from seed_generator.errors import SeedRuntimeError
from seed_generator.incremental import _user_pool
from seed_generator.validation import check_count, resolve_seed, resolve_today

# How far back late events land: old enough to sit behind an incremental cursor.
LATE_DAYS = (2, 7)
_PROBE_SPAN = 20_000


def mutate(
    conn: psycopg.Connection,
    *,
    seed: int | None = None,
    today: dt.date | None = None,
    updates: int = 5,
    late_impressions: int = 50,
    late_clicks: int = 10,
    soft_delete_campaigns: int = 2,
    soft_delete_audiences: int = 1,
    soft_delete_advertisers: int = 1,
    hard_deletes: int = 5,
    hard_delete_campaign_channels: int = 1,
    corrections: int = 10,
) -> dict[str, int]:
    """Apply every kind of change in one transaction; returns how many rows each touched.

    Picks rows at random (reproducibly for a given ``seed`` and database content); asks
    for more than exist are trimmed, and soft deletes always leave one live row of each kind.
    """
    options = {
        "updates": updates,
        "late-impressions": late_impressions,
        "late-clicks": late_clicks,
        "soft-delete-campaigns": soft_delete_campaigns,
        "soft-delete-audiences": soft_delete_audiences,
        "soft-delete-advertisers": soft_delete_advertisers,
        "hard-deletes": hard_deletes,
        "hard-delete-campaign-channels": hard_delete_campaign_channels,
        "corrections": corrections,
    }
    for name, value in options.items():
        check_count(name, value)
    rng = np.random.default_rng(resolve_seed(seed))
    today = resolve_today(today)
    with conn.transaction():
        live = conn.execute("select count(*) from campaigns where deleted_at is null").fetchone()
        if not live or not live[0]:
            raise SeedRuntimeError("no live campaign to mutate; run `seed-generator batch` first")
        summary: dict[str, int] = {}
        touched: set[int] = set()  # impressions already changed, kept out of hard deletes
        updated = _update_campaigns(conn, rng, today, updates)
        summary["campaigns_updated"] = len(updated)
        summary |= _late_events(conn, rng, today, late_impressions, late_clicks, touched)
        summary |= _corrections(conn, rng, corrections, touched)
        summary |= _soft_deletes(
            conn,
            rng,
            exclude=set(updated),
            campaigns=soft_delete_campaigns,
            audiences=soft_delete_audiences,
            advertisers=soft_delete_advertisers,
        )
        summary |= _hard_deletes(conn, rng, hard_deletes, hard_delete_campaign_channels, touched)
    return summary


def _pick(rng: np.random.Generator, ids: list[int], count: int) -> list[int]:
    if count <= 0 or not ids:
        return []
    return sorted(int(i) for i in rng.choice(ids, size=min(count, len(ids)), replace=False))


def _sample_ids(
    conn: psycopg.Connection,
    rng: np.random.Generator,
    table: str,
    count: int,
    where: str = "true",
    exclude: set[int] | None = None,
) -> list[int]:
    """About ``count`` random ids of ``table`` matching ``where``, without scanning the table.

    Probes random points of the id range and takes the next matching id of each, so big
    event tables cost an index lookup per probe; dense ranges make this close to uniform.
    Each probe looks at most ``_PROBE_SPAN`` ids ahead, so a rare ``where`` returns fewer
    ids rather than scanning millions of rows.
    """
    if count <= 0:
        return []
    row = conn.execute(sql.SQL("select min(id), max(id) from {}").format(sql.Identifier(table)))
    low, high = row.fetchone() or (None, None)
    if low is None:
        return []
    probes = rng.integers(int(low), int(high) + 1, size=count * 3)
    found = conn.execute(
        sql.SQL(
            "select distinct p.id from unnest(%s::bigint[]) as r (probe)"
            " cross join lateral (select id from {} where id between r.probe and r.probe + %s"
            " and ({}) order by id limit 1) p order by p.id"
        ).format(sql.Identifier(table), sql.SQL(where)),  # type: ignore[arg-type]
        (probes.tolist(), _PROBE_SPAN),
    ).fetchall()
    candidates = [int(i) for (i,) in found if not exclude or int(i) not in exclude]
    return _pick(rng, candidates, count)


def _update_campaigns(
    conn: psycopg.Connection, rng: np.random.Generator, today: dt.date, count: int
) -> list[int]:
    rows = conn.execute(
        "select id, name, status, start_date, end_date, total_budget, daily_budget"
        " from campaigns where deleted_at is null order by id"
    ).fetchall()
    by_id = {int(r[0]): r for r in rows}
    picked = _pick(rng, list(by_id), count)
    for campaign_id in picked:
        _, name, status, start, end, total, daily = by_id[campaign_id]
        kind = ("budget", "status", "name")[int(rng.integers(3))]
        if kind == "budget":
            factor = float(rng.uniform(0.7, 1.4))
            new_total = round(float(total) * factor, 2)
            conn.execute(
                "update campaigns set total_budget = %s, daily_budget = least(%s, %s)"
                " where id = %s",
                (new_total, round(float(daily) * factor, 2), new_total, campaign_id),
            )
        elif kind == "status":
            _change_status(conn, campaign_id, status, start, end, today)
        else:
            match = re.search(r" v(\d+)$", name)
            version = int(match[1]) + 1 if match else 2
            base = name[: match.start()] if match else name
            conn.execute(
                "update campaigns set name = %s where id = %s", (f"{base} v{version}", campaign_id)
            )
    return picked


def _change_status(
    conn: psycopg.Connection,
    campaign_id: int,
    status: str,
    start: dt.date,
    end: dt.date,
    today: dt.date,
) -> None:
    """A status change that keeps flight dates consistent with the status."""
    if status == "active":
        conn.execute("update campaigns set status = 'paused' where id = %s", (campaign_id,))
    elif status == "paused":
        conn.execute(
            "update campaigns set status = 'active', end_date = greatest(end_date, %s)"
            " where id = %s",
            (today, campaign_id),
        )
    elif status == "planned":  # launched early
        conn.execute(
            "update campaigns set status = 'active', start_date = %s,"
            " end_date = greatest(end_date, %s) where id = %s",
            (today, today, campaign_id),
        )
    else:  # completed: the flight is extended and the campaign resumes
        conn.execute(
            "update campaigns set status = 'active', end_date = %s where id = %s",
            (max(end, today) + dt.timedelta(days=7), campaign_id),
        )


def _late_events(
    conn: psycopg.Connection,
    rng: np.random.Generator,
    today: dt.date,
    impressions: int,
    clicks: int,
    touched: set[int],
) -> dict[str, int]:
    """Impressions (with their funnel) and clicks on old impressions, stamped days ago."""
    counts = {"late_impressions": 0, "late_clicks": 0, "late_conversions": 0}
    window_start = today - dt.timedelta(days=LATE_DAYS[1])
    window_end = today - dt.timedelta(days=LATE_DAYS[0])
    campaigns = [
        c
        for c in entities.load_campaigns(conn, "c.deleted_at is null")
        if c.channels and c.start_date <= window_end and c.end_date >= window_start
    ]
    audience_ids = entities.live_audience_ids(conn)
    if impressions and campaigns and audience_ids:
        lines = events.Lines.build(campaigns, audience_ids)
        starts = [max(c.start_date, window_start) for c in campaigns]
        ends = [min(c.end_date, window_end) for c in campaigns]
        day0 = schedule.day_number(window_start)
        ndays = (window_end - window_start).days + 1
        weights = schedule.day_weights(
            rng,
            lines.volume,
            lines.weekly,
            np.array([schedule.day_number(starts[i]) for i in lines.campaign_index]),
            np.array([schedule.day_number(ends[i]) for i in lines.campaign_index]),
            day0,
            ndays,
        )
        funnel = events.Funnel.calibrated(
            lines, weights.sum(axis=1), 0.02, 0.05, _user_pool(conn, impressions)
        )
        horizon = schedule.midnight_us(today)
        row = conn.execute("select coalesce(max(id), 0) from impressions").fetchone()
        last_id = int(row[0]) if row else 0
        for line, served_at in schedule.served_times(rng, weights, day0, impressions, impressions):
            block = events.simulate(rng, funnel, line, served_at, horizon)
            written = events.write(conn, lines, block)
            counts["late_impressions"] += written["impressions"]
            counts["late_clicks"] += written["clicks"]
            counts["late_conversions"] += written["conversions"]
        new = conn.execute("select id from impressions where id > %s", (last_id,)).fetchall()
        touched.update(int(i) for (i,) in new)

    cutoff = schedule.midnight_us(window_end)
    old = _sample_ids(
        conn,
        rng,
        "impressions",
        clicks,
        f"served_at < to_timestamp({cutoff // 1_000_000})"
        " and not exists (select 1 from clicks c where c.impression_id = impressions.id)",
    )
    if old:
        rows = conn.execute(
            "select i.id, i.served_at, c.bid_strategy, c.bid_amount from impressions i"
            " join campaigns c on c.id = i.campaign_id where i.id = any(%s) order by i.id",
            (old,),
        ).fetchall()
        delays = events.click_delays(rng, len(rows))
        first = storage.reserve_ids(conn, "clicks", len(rows))
        for offset, ((impression_id, served_at, strategy, bid), delay) in enumerate(
            zip(rows, delays, strict=True)
        ):
            cost = 0.0 if strategy == "cpm" else round(float(bid) * rng.uniform(0.8, 1.0), 6)
            conn.execute(
                "insert into clicks (id, impression_id, impression_served_at, clicked_at, cost)"
                " values (%s, %s, %s, %s + make_interval(secs => %s), %s)",
                (first + offset, impression_id, served_at, served_at, int(delay) / 1e6, cost),
            )
        touched.update(old)
        counts["late_clicks"] += len(rows)
    return counts


def _corrections(
    conn: psycopg.Connection, rng: np.random.Generator, count: int, touched: set[int]
) -> dict[str, int]:
    """Restated costs and revenues (billing adjustments, refunds): updated_at moves.

    The corrected events' impressions join ``touched`` so hard deletes leave them alone.
    """
    impressions = _sample_ids(conn, rng, "impressions", count, "cost > 0", touched)
    conn.execute(
        "update impressions i set cost = round(i.cost * f.factor, 6)"
        " from unnest(%s::bigint[], %s::numeric[]) as f (id, factor) where i.id = f.id",
        (impressions, rng.uniform(0.9, 1.1, len(impressions)).round(4).tolist()),
    )
    touched.update(impressions)
    clicks = _sample_ids(conn, rng, "clicks", count, "cost > 0")
    parents = conn.execute(
        "update clicks c set cost = round(c.cost * f.factor, 6)"
        " from unnest(%s::bigint[], %s::numeric[]) as f (id, factor) where c.id = f.id"
        " returning c.impression_id",
        (clicks, rng.uniform(0.85, 1.15, len(clicks)).round(4).tolist()),
    ).fetchall()
    touched.update(int(i) for (i,) in parents)
    conversions = _sample_ids(conn, rng, "conversions", count)
    # a fifth of the corrected conversions are refunds, the rest restated values
    factors = np.where(
        rng.random(len(conversions)) < 0.2, 0.0, rng.uniform(0.8, 1.2, len(conversions))
    )
    parents = conn.execute(
        "update conversions v set revenue = round(v.revenue * f.factor, 2)"
        " from unnest(%s::bigint[], %s::numeric[]) as f (id, factor), clicks c"
        " where v.id = f.id and c.id = v.click_id returning c.impression_id",
        (conversions, np.round(factors, 4).tolist()),
    ).fetchall()
    touched.update(int(i) for (i,) in parents)
    return {
        "corrected_impressions": len(impressions),
        "corrected_clicks": len(clicks),
        "corrected_conversions": len(conversions),
    }


def _live_ids(conn: psycopg.Connection, table: str) -> list[int]:
    query = sql.SQL("select id from {} where deleted_at is null order by id")
    rows = conn.execute(query.format(sql.Identifier(table))).fetchall()
    return [int(i) for (i,) in rows]


def _soft_deletes(
    conn: psycopg.Connection,
    rng: np.random.Generator,
    *,
    exclude: set[int],
    campaigns: int,
    audiences: int,
    advertisers: int,
) -> dict[str, int]:
    """Set deleted_at; an advertiser takes its campaigns along, a campaign its channels.

    Always leaves one live row of each kind, so the data set stays usable for streaming.
    """
    # an advertiser leaving takes its campaigns along: pick among the smaller accounts so
    # one mutate does not wipe out most of the data set
    sizes = conn.execute(
        "select a.id from advertisers a left join campaigns c"
        " on c.advertiser_id = a.id and c.deleted_at is null where a.deleted_at is null"
        " group by a.id order by count(c.id), a.id"
    ).fetchall()
    live_advertisers = [int(i) for (i,) in sizes]
    smaller_half = live_advertisers[: max(1, len(live_advertisers) // 2)]
    gone_advertisers = _pick(rng, smaller_half, min(advertisers, len(live_advertisers) - 1))
    conn.execute(
        "update advertisers set deleted_at = now() where id = any(%s)", (gone_advertisers,)
    )
    cascaded = conn.execute(
        "update campaigns set deleted_at = now()"
        " where advertiser_id = any(%s) and deleted_at is null returning id",
        (gone_advertisers,),
    ).fetchall()

    live_campaigns = [c for c in _live_ids(conn, "campaigns") if c not in exclude]
    keep_one = min(campaigns, len(_live_ids(conn, "campaigns")) - 1)
    gone_campaigns = _pick(rng, live_campaigns, keep_one)
    conn.execute("update campaigns set deleted_at = now() where id = any(%s)", (gone_campaigns,))
    all_gone = gone_campaigns + [int(i) for (i,) in cascaded]
    channels = conn.execute(
        "update campaign_channels set deleted_at = now()"
        " where campaign_id = any(%s) and deleted_at is null",
        (all_gone,),
    )

    live_audiences = _live_ids(conn, "audiences")
    gone_audiences = _pick(rng, live_audiences, min(audiences, len(live_audiences) - 1))
    conn.execute("update audiences set deleted_at = now() where id = any(%s)", (gone_audiences,))
    return {
        "soft_deleted_advertisers": len(gone_advertisers),
        "soft_deleted_campaigns": len(all_gone),
        "soft_deleted_campaign_channels": channels.rowcount,
        "soft_deleted_audiences": len(gone_audiences),
    }


def _hard_deletes(
    conn: psycopg.Connection,
    rng: np.random.Generator,
    chains: int,
    campaign_channels: int,
    touched: set[int],
) -> dict[str, int]:
    """Physically delete event chains (conversion, click, impression: children first) and
    campaign_channels rows nothing references."""
    # half of the chains start from a conversion, so every level of the funnel loses rows
    converted = _sample_ids(conn, rng, "conversions", (chains + 1) // 2)
    full_chains = conn.execute(
        "select c.impression_id from conversions v join clicks c on c.id = v.click_id"
        " where v.id = any(%s) order by 1",
        (converted,),
    ).fetchall()
    impressions = [int(i) for (i,) in full_chains if int(i) not in touched]
    plain = _sample_ids(conn, rng, "impressions", chains - len(impressions), exclude=touched)
    impressions += [i for i in plain if i not in impressions]
    conversions = conn.execute(
        "delete from conversions v using clicks c"
        " where v.click_id = c.id and c.impression_id = any(%s)",
        (impressions,),
    ).rowcount
    clicks = conn.execute(
        "delete from clicks where impression_id = any(%s)", (impressions,)
    ).rowcount
    deleted = conn.execute("delete from impressions where id = any(%s)", (impressions,)).rowcount
    unused = conn.execute(
        "select cc.id from campaign_channels cc where not exists (select 1 from impressions i"
        " where i.campaign_id = cc.campaign_id and i.channel_id = cc.channel_id)"
        " order by cc.id limit 200"
    ).fetchall()
    doomed = _pick(rng, [int(i) for (i,) in unused], campaign_channels)
    removed = conn.execute("delete from campaign_channels where id = any(%s)", (doomed,)).rowcount
    return {
        "hard_deleted_conversions": conversions,
        "hard_deleted_clicks": clicks,
        "hard_deleted_impressions": deleted,
        "hard_deleted_campaign_channels": removed,
    }
