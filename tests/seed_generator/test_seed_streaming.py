"""``stream``: live events at a target rate, stamped with the current time."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import threading
from collections.abc import Callable

import psycopg
import pytest

from seed_generator import SeedRuntimeError, SeedUsageError, generate_batch, stream
from seed_generator.streaming import Tick


def test_streams_at_the_rate(conn: psycopg.Connection) -> None:
    """Each tick inserts the impressions owed for the time since the last one.

    Checked per tick against the ticks' own timestamps, not against the wall clock, so a
    slow machine changes how many events there are but not whether the test passes.
    """
    # a real "today" so that some campaigns are running now
    generate_batch(conn, advertisers=2, campaigns=6, impressions=500, seed=4)
    last_id = conn.execute("select max(id) from impressions").fetchone()
    started = dt.datetime.now(dt.UTC)
    ticks, stop, record = _recorder(ticks=5)

    rate, ctr, cvr = 400, 0.02, 0.05
    totals = stream(conn, rate=rate, interval=0.2, ctr=ctr, cvr=cvr, seed=1, stop=stop,
                    on_tick=record)  # fmt: skip
    finished = dt.datetime.now(dt.UTC)
    assert len(ticks) == 5 and not any(t.idle for t in ticks)
    per_second = rate / (1 + ctr + ctr * cvr)  # impressions; clicks and conversions count too
    for previous, tick in itertools.pairwise(ticks):
        owed = per_second * (tick.at - previous.at).total_seconds()
        assert abs(tick.impressions - owed) < 1.01, (tick, owed)  # whole events, rest carried
    events = totals["impressions"] + totals["clicks"] + totals["conversions"]
    assert events == ticks[-1].total_events
    assert totals["impressions"] == sum(t.impressions for t in ticks)
    new = last_id[0] if last_id else 0
    assert conn.execute(
        "select count(*), min(served_at) >= %s, max(served_at) <= %s from impressions"
        " where id > %s",
        (started - dt.timedelta(seconds=1), finished, new),
    ).fetchone() == (totals["impressions"], True, True)
    assert conn.execute("select max(clicked_at) <= %s from clicks", (finished,)).fetchone() == (
        True,
    )
    # only campaigns running today serve
    assert conn.execute(
        "select count(*) from impressions i join campaigns c on c.id = i.campaign_id"
        " where i.id > %s and (c.status <> 'active'"
        " or (i.served_at at time zone 'UTC')::date not between c.start_date and c.end_date)",
        (new,),
    ).fetchone() == (0,)


def test_no_running_campaign_no_events(conn: psycopg.Connection) -> None:
    """Planned, paused, completed or past campaigns get no live impressions."""
    generate_batch(conn, advertisers=2, campaigns=6, impressions=500, seed=4,
                   today=dt.date(2020, 1, 1))  # fmt: skip
    before = conn.execute("select count(*) from impressions").fetchone()
    ticks, stop, record = _recorder(ticks=3)

    totals = stream(conn, rate=400, interval=0.1, seed=1, stop=stop, on_tick=record)
    assert [t.idle for t in ticks] == [True, True, True]
    assert totals["impressions"] == totals["clicks"] == totals["conversions"] == 0
    assert conn.execute("select count(*) from impressions").fetchone() == before


def test_stop_ends_the_stream_between_transactions(conn: psycopg.Connection) -> None:
    generate_batch(conn, advertisers=1, campaigns=3, impressions=100, seed=4)
    stop = threading.Event()

    def halt_after_first(tick: Tick) -> None:
        stop.set()

    totals = stream(conn, rate=200, interval=0.2, seed=1, stop=stop, on_tick=halt_after_first)
    assert totals["impressions"] > 0
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_needs_campaigns_and_sane_arguments(conn: psycopg.Connection) -> None:
    with pytest.raises(SeedUsageError, match="--rate"):
        stream(conn, rate=0, duration=1)
    with pytest.raises(SeedUsageError, match="--ctr"):
        stream(conn, rate=1, duration=1, ctr=3)
    for bad in ({"rate": math.inf}, {"rate": math.nan}, {"interval": math.inf},
                {"interval": 0}, {"duration": math.nan}, {"duration": -1},
                {"rate": 1e6, "interval": 2}):  # fmt: skip
        with pytest.raises(SeedUsageError, match="must be"):
            stream(conn, **{"rate": 1.0, "duration": 1.0, **bad})  # type: ignore[arg-type]
    with pytest.raises(SeedRuntimeError, match="no live campaign"):
        stream(conn, rate=10, duration=0.2, interval=0.1)


def _recorder(ticks: int) -> tuple[list[Tick], threading.Event, Callable[[Tick], None]]:
    """An ``on_tick`` that keeps the ticks and sets ``stop`` after ``ticks`` of them."""
    seen: list[Tick] = []
    stop = threading.Event()

    def record(tick: Tick) -> None:
        seen.append(tick)
        if len(seen) == ticks:
            stop.set()

    return seen, stop, record
