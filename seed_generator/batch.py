"""``generate_batch``: a whole realistic dataset in one transaction."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import psycopg

from seed_generator import entities, events, schedule, storage
from seed_generator.errors import SeedUsageError
from seed_generator.validation import (
    MAX_ENTITIES,
    check_count,
    check_days,
    check_rate,
    resolve_seed,
    resolve_today,
)

CHUNK_ROWS = 100_000


def generate_batch(
    conn: psycopg.Connection,
    *,
    advertisers: int = 5,
    campaigns: int = 20,
    impressions: int = 20_000,
    ctr: float = 0.02,
    cvr: float = 0.05,
    days: int = 30,
    seed: int | None = None,
    today: dt.date | None = None,
    audiences: int = 12,
    trusted: bool = True,
    chunk_rows: int = CHUNK_ROWS,
) -> dict[str, int]:
    """Generate advertisers, campaigns, audiences and ``impressions`` with their funnel.

    Campaign flights and statuses are relative to ``today`` (default: the current UTC date);
    impressions fall in the ``days`` before it, within each campaign's flight. With the same
    ``seed`` and ``today`` on an empty database the rows are identical (apart from
    created_at/updated_at). Runs in one transaction; returns rows inserted per table.
    ``trusted`` enables the FK-trigger bypass of :func:`storage.trusted_references`.
    """
    for name, value in (("advertisers", advertisers), ("campaigns", campaigns)):
        check_count(name, value, MAX_ENTITIES)
    check_count("impressions", impressions)
    check_count("audiences", audiences, MAX_ENTITIES)
    check_rate("ctr", ctr)
    check_rate("cvr", cvr)
    check_days(days)
    if campaigns and not advertisers:
        raise SeedUsageError("--campaigns needs at least one advertiser")
    if impressions and not campaigns:
        raise SeedUsageError("--impressions needs at least one campaign")
    if impressions and not audiences:
        raise SeedUsageError("--impressions needs at least one audience")
    seed = resolve_seed(seed)
    today = resolve_today(today)
    streams = np.random.SeedSequence(seed).spawn(4)
    entity_rng, plan_rng, event_rng, audience_rng = (np.random.default_rng(s) for s in streams)
    fake = entities.make_faker(seed)

    with conn.transaction():
        counts = dict.fromkeys(storage.TABLES, 0)
        channels, counts["channels"] = entities.ensure_channels(conn)

        new_advertisers = entities.new_advertisers(
            fake, entity_rng, storage.reserve_ids(conn, "advertisers", advertisers), advertisers
        )
        counts["advertisers"] = entities.insert_advertisers(conn, new_advertisers)
        audience_ids = entities.insert_audiences(conn, audience_rng, audiences)
        counts["audiences"] = len(audience_ids)

        # every advertiser gets a campaign first, the rest go mostly to a few big spenders
        extra = max(0, campaigns - advertisers)
        owners = np.concatenate(
            [
                np.arange(min(advertisers, campaigns)),
                entity_rng.choice(advertisers, size=extra, p=_skewed(entity_rng, advertisers))
                if extra
                else np.zeros(0, dtype=np.int64),
            ]
        ).astype(np.int64)
        new_campaigns = entities.new_campaigns(
            fake,
            entity_rng,
            storage.reserve_ids(conn, "campaigns", campaigns),
            new_advertisers,
            np.sort(owners),
            channels,
            today,
            days,
        )
        if impressions:
            new_campaigns = entities.ensure_deliverable(new_campaigns, today)
        plan = _Plan(plan_rng, new_campaigns, audience_ids, today, days, impressions, ctr, cvr)
        new_campaigns = plan.fund(new_campaigns)
        counts["campaigns"], counts["campaign_channels"] = entities.insert_campaigns(
            conn, new_campaigns
        )
        if impressions:
            with storage.trusted_references(conn, trusted):
                # parents were created in this very transaction: nobody else can touch them
                counts |= _deliver(conn, plan, event_rng, impressions, chunk_rows)
    return counts


def _skewed(rng: np.random.Generator, n: int) -> np.ndarray:
    """Advertiser shares of the extra campaigns: some run many, most a few."""
    weights = rng.lognormal(0.0, 0.8, size=n)
    return weights / weights.sum()


class _Plan:
    """Delivery lines and the expected impressions of every line and day."""

    def __init__(
        self,
        rng: np.random.Generator,
        campaigns: list[entities.Campaign],
        audience_ids: list[int],
        today: dt.date,
        days: int,
        impressions: int,
        ctr: float,
        cvr: float,
    ) -> None:
        self.rng = rng
        self.today = today
        self.day0 = schedule.day_number(today) - days
        self.lines = events.Lines.build(campaigns, audience_ids) if audience_ids else None
        self.weights = np.zeros((0, days))
        self.funnel: events.Funnel | None = None
        if self.lines is None or not len(self.lines):
            return
        windows = [c.delivery_days(today, days) for c in campaigns]
        first = np.array([schedule.day_number(windows[i][0]) for i in self.lines.campaign_index])
        last = np.array([schedule.day_number(windows[i][1]) for i in self.lines.campaign_index])
        self.weights = schedule.day_weights(
            rng, self.lines.volume, self.lines.weekly, first, last, self.day0, days
        )
        total = self.weights.sum()
        self.expected = self.weights * (impressions / total) if total > 0 else self.weights
        self.funnel = events.Funnel.calibrated(
            self.lines,
            self.expected.sum(axis=1),
            ctr,
            cvr,
            events.UserPool.for_volume(impressions),
        )

    def fund(self, campaigns: list[entities.Campaign]) -> list[entities.Campaign]:
        """Raise budgets that could not pay for the planned delivery.

        Daily budgets cover the busiest expected day with 10-40% headroom, so actual spend
        stays under the cap apart from random fluctuation; totals cover the whole flight.
        """
        if self.funnel is None or self.lines is None:
            return campaigns
        spend = self.expected * self.lines.expected_cost_micros(self.funnel.ctr)[:, None]
        funded = []
        for position, campaign in enumerate(campaigns):
            mine = self.lines.campaign_index == position
            daily_spend = spend[mine].sum(axis=0)
            peak_cents = int(daily_spend.max(initial=0) * self.rng.uniform(1.1, 1.4) / 10_000)
            total_cents = int(daily_spend.sum() * 1.15 / 10_000)
            daily = max(campaign.daily_budget_cents, -(-peak_cents // 100) * 100)
            total = max(campaign.total_budget_cents, total_cents, daily)
            funded.append(replace(campaign, daily_budget_cents=daily, total_budget_cents=total))
        return funded


def _deliver(
    conn: psycopg.Connection,
    plan: _Plan,
    rng: np.random.Generator,
    impressions: int,
    chunk_rows: int,
) -> dict[str, int]:
    """Simulate and COPY chunk by chunk; the next chunk is simulated while this one loads.

    Ids are reserved a chunk at a time, just before the chunk is simulated (served_times
    yields full chunks of ``chunk_rows`` and one remainder), so a command that fails part way
    leaves a gap of at most two chunks in the sequence, whatever ``impressions`` is.
    """
    assert plan.funnel is not None and plan.lines is not None
    funnel, lines = plan.funnel, plan.lines
    horizon = schedule.midnight_us(plan.today)
    times = schedule.served_times(rng, plan.weights, plan.day0, impressions, chunk_rows)
    sizes = iter([chunk_rows] * (impressions // chunk_rows) + [impressions % chunk_rows])

    def produce(first_id: int) -> tuple[events.Events, int, bytes] | None:
        item = next(times, None)  # one call at a time: the pool has one worker
        if item is None:
            return None
        line, served_at = item
        block = events.simulate(rng, funnel, line, served_at, horizon)
        return block, first_id, events.encode_impressions(lines, block, first_id)

    def reserve_next() -> int:
        # on this thread, between two uses of the connection; 0 once every id is reserved
        return storage.reserve_ids(conn, "impressions", next(sizes, 0))

    counts = {"impressions": 0, "clicks": 0, "conversions": 0}
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="seed-chunks") as pool:
        pending = pool.submit(produce, reserve_next())
        while (item := pending.result()) is not None:
            pending = pool.submit(produce, reserve_next())
            block, first, data = item
            n = len(block.line)
            storage.copy_encoded(conn, "impressions", storage.IMPRESSION_COLUMNS, data, n)
            followups = events.write_followups(conn, block, first + np.arange(n))
            counts["impressions"] += n
            counts["clicks"] += followups["clicks"]
            counts["conversions"] += followups["conversions"]
    return counts
