"""``stream``: a live trickle of events (and the odd campaign edit) at a target rate."""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

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
# Bounds that keep one tick's events (rate x interval) in memory and the sleep valid.
MAX_INTERVAL = 3_600.0
MAX_EVENTS_PER_TICK = 1_000_000


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
    idle: bool = False  # no campaign was running, so nothing was served
    # when the tick's transaction had committed (read right after COMMIT returned): the
    # start of its events' way to the marts and the API, for end-to-end latency
    committed_at: dt.datetime | None = None
    # this tick's impressions per campaign id, to know when a campaign's totals include it
    campaign_impressions: dict[int, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        """One line of ``stream --commit-log``."""
        return {
            "tick": self.number,
            "committed_at": self.committed_at.isoformat() if self.committed_at else None,
            "impressions": self.impressions,
            "clicks": self.clicks,
            "conversions": self.conversions,
            "campaign_updates": self.campaign_updates,
            "campaign_impressions": {str(k): v for k, v in self.campaign_impressions.items()},
        }


def check_arguments(
    *, rate: float, duration: float | None, interval: float, ctr: float, cvr: float
) -> None:
    """The checks :func:`stream` makes before it touches the database."""
    if not (math.isfinite(rate) and rate > 0):
        raise SeedUsageError(f"--rate must be a positive number of events per second (got {rate})")
    if duration is not None and not (math.isfinite(duration) and duration >= 0):
        raise SeedUsageError(
            f"--duration must be a finite number of seconds, 0 or more (got {duration});"
            " leave it out to stream until Ctrl-C"
        )
    if not (math.isfinite(interval) and 0 < interval <= MAX_INTERVAL):
        raise SeedUsageError(
            f"--interval must be a positive number of seconds up to {MAX_INTERVAL:.0f}"
            f" (got {interval})"
        )
    if rate * interval > MAX_EVENTS_PER_TICK:
        raise SeedUsageError(
            f"--rate x --interval must be at most {MAX_EVENTS_PER_TICK:,} events per insert"
            f" (got {rate * interval:,.0f}); lower --rate or --interval"
        )
    check_rate("ctr", ctr)
    check_rate("cvr", cvr)


def _running(campaign: entities.Campaign, today: dt.date) -> bool:
    return campaign.status == "active" and campaign.start_date <= today <= campaign.end_date


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
    set (the CLI sets it on Ctrl-C, between transactions). Only campaigns running today
    (active, with today inside their flight) serve; while none is, ticks insert no events
    (``Tick.idle``) and the campaigns are looked up again every tick. Returns totals per kind.
    """
    check_arguments(rate=rate, duration=duration, interval=interval, ctr=ctr, cvr=cvr)
    rng = np.random.default_rng(resolve_seed(seed))
    stop = stop or threading.Event()
    events_per_impression = 1 + ctr + ctr * cvr
    totals = {"impressions": 0, "clicks": 0, "conversions": 0, "campaign_updates": 0}
    started = time.monotonic()
    last = now_us()
    owed = 0.0
    tick = 0
    funnel: events.Funnel | None = None
    loaded_for: dt.date | None = None  # the day the campaigns were last looked up for
    while not stop.is_set():
        remaining = None if duration is None else duration - (time.monotonic() - started)
        if remaining is not None and remaining <= 0:
            break
        if stop.wait(interval if remaining is None else min(interval, remaining)):
            break
        now = now_us()
        today = dt.datetime.fromtimestamp(now / 1e6, dt.UTC).date()
        owed += rate * (now - last) / 1e6 / events_per_impression
        count = int(owed)
        owed -= count
        with conn.transaction():
            if funnel is None or tick % _RELOAD_TICKS == 0 or today != loaded_for:
                funnel, loaded_for = _funnel(conn, ctr, cvr, today), today
            by_campaign: dict[int, int] = {}
            if funnel is None:
                owed = 0.0  # nothing serves, so nothing is owed: no burst once one does
                written = {"impressions": 0, "clicks": 0, "conversions": 0}
            else:
                lines = funnel.lines
                line, served_at = schedule.uniform_times(
                    rng, lines.volume, last + 1, now + 1, count
                )
                block = events.simulate(rng, funnel, line, served_at, now)
                written = events.write(conn, lines, block)
                ids, counts = np.unique(lines.campaign_id[block.line], return_counts=True)
                by_campaign = {int(i): int(c) for i, c in zip(ids, counts, strict=True)}
            updates = _nudge_budget(conn, rng) if rng.random() < _UPDATE_CHANCE else 0
        committed_at = dt.datetime.now(dt.UTC)
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
                    idle=funnel is None,
                    committed_at=committed_at,
                    campaign_impressions=by_campaign,
                    **written,
                )
            )
    return totals


def _funnel(
    conn: psycopg.Connection, ctr: float, cvr: float, today: dt.date
) -> events.Funnel | None:
    """The funnel of the campaigns running ``today``; None when no campaign is."""
    live = [c for c in entities.load_campaigns(conn, "c.deleted_at is null") if c.channels]
    if not live:
        raise SeedRuntimeError("no live campaign with a channel to stream for; run `batch` first")
    campaigns = [c for c in live if _running(c, today)]
    if not campaigns:
        return None
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
