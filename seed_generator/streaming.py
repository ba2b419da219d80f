"""``stream``: a live trickle of events (and the odd campaign edit) at a target rate."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import psycopg

from seed_generator import entities, events, schedule
from seed_generator.errors import SeedRuntimeError, SeedUsageError
from seed_generator.incremental import _user_pool, now_us
from seed_generator.validation import check_rate, resolve_seed

# Reload campaigns this often, so campaigns added or deleted meanwhile are noticed.
_RELOAD_TICKS = 30
# Chance per tick of a campaign budget tweak.
_UPDATE_CHANCE = 0.15


@dataclass(frozen=True)
class Tick:
    number: int
    at: dt.datetime
    impressions: int
    clicks: int
    conversions: int
    campaign_updates: int
    total_events: int
    elapsed: float  # seconds since the stream started


def _serving(conn: psycopg.Connection, today: dt.date) -> list[entities.Campaign]:
    """Campaigns that would be serving now; failing that, any live one with a channel."""
    live = [c for c in entities.load_campaigns(conn, "c.deleted_at is null") if c.channels]
    running = [c for c in live if c.status == "active" and c.start_date <= today <= c.end_date]
    return running or [c for c in live if c.status == "active"] or live


def stream(
    conn: psycopg.Connection,
    *,
    rate: float,
    duration: float | None = None,
    interval: float = 2.0,
    seed: int | None = None,
    ctr: float = 0.02,
    cvr: float = 0.05,
    stop: threading.Event | None = None,
    on_tick: Callable[[Tick], None] | None = None,
) -> dict[str, int]:
    """Insert new events stamped with the current time, about ``rate`` per second.

    Every ``interval`` seconds one transaction adds the impressions due since the last one
    (with their clicks and conversions, which count towards the rate) and now and then
    edits a campaign's budget. Runs until ``duration`` seconds have passed or ``stop`` is
    set (the CLI sets it on Ctrl-C, between transactions). Returns totals per kind.
    """
    if not rate > 0:
        raise SeedUsageError(f"--rate must be positive (got {rate})")
    if duration is not None and duration < 0:
        raise SeedUsageError(f"--duration must not be negative (got {duration})")
    if not interval > 0:
        raise SeedUsageError(f"--interval must be positive (got {interval})")
    check_rate("ctr", ctr)
    check_rate("cvr", cvr)
    rng = np.random.default_rng(resolve_seed(seed))
    stop = stop or threading.Event()
    events_per_impression = 1 + ctr + ctr * cvr
    totals = {"impressions": 0, "clicks": 0, "conversions": 0, "campaign_updates": 0}
    started = time.monotonic()
    last = now_us()
    owed = 0.0
    tick = 0
    funnel: events.Funnel | None = None
    while not stop.is_set():
        remaining = None if duration is None else duration - (time.monotonic() - started)
        if remaining is not None and remaining <= 0:
            break
        if stop.wait(interval if remaining is None else min(interval, remaining)):
            break
        now = now_us()
        owed += rate * (now - last) / 1e6 / events_per_impression
        count = int(owed)
        owed -= count
        with conn.transaction():
            if funnel is None or tick % _RELOAD_TICKS == 0:
                funnel = _funnel(conn, rng, ctr, cvr)
            lines = funnel.lines
            line, served_at = schedule.uniform_times(rng, lines.volume, last + 1, now + 1, count)
            written = events.write(conn, lines, events.simulate(rng, funnel, line, served_at, now))
            updates = _nudge_budget(conn, rng) if rng.random() < _UPDATE_CHANCE else 0
        last = now
        tick += 1
        for kind, value in written.items():
            totals[kind] += value
        totals["campaign_updates"] += updates
        if on_tick is not None:
            on_tick(
                Tick(
                    number=tick,
                    at=dt.datetime.fromtimestamp(now / 1e6, dt.UTC),
                    campaign_updates=updates,
                    total_events=totals["impressions"] + totals["clicks"] + totals["conversions"],
                    elapsed=time.monotonic() - started,
                    **written,
                )
            )
    return totals


def _funnel(
    conn: psycopg.Connection, rng: np.random.Generator, ctr: float, cvr: float
) -> events.Funnel:
    campaigns = _serving(conn, dt.datetime.now(dt.UTC).date())
    if not campaigns:
        raise SeedRuntimeError("no live campaign with a channel to stream for; run `batch` first")
    audiences = entities.live_audience_ids(conn)
    if not audiences:
        raise SeedRuntimeError("no live audience to serve impressions to; run `batch` first")
    lines = events.Lines.build(campaigns, audiences)
    return events.Funnel.calibrated(lines, lines.volume, ctr, cvr, _user_pool(conn, 0))


def _nudge_budget(conn: psycopg.Connection, rng: np.random.Generator) -> int:
    """Advertisers tweak daily budgets while campaigns run."""
    ids = [
        int(i)
        for (i,) in conn.execute(
            "select id from campaigns where deleted_at is null and status = 'active' order by id"
        ).fetchall()
    ]
    if not ids:
        return 0
    return conn.execute(
        "update campaigns"
        " set daily_budget = least(total_budget, round(daily_budget * %s::numeric, 2))"
        " where id = %s",
        (round(float(rng.uniform(0.9, 1.15)), 3), int(rng.choice(ids))),
    ).rowcount
