"""``stream``: live events at a target rate, stamped with the current time."""

from __future__ import annotations

import datetime as dt
import threading

import psycopg
import pytest

from seed_generator import SeedRuntimeError, SeedUsageError, generate_batch, stream
from seed_generator.streaming import Tick


def test_streams_at_about_the_rate(conn: psycopg.Connection) -> None:
    # a real "today" so that some campaigns are running now
    generate_batch(conn, advertisers=2, campaigns=6, impressions=500, seed=4)
    last_id = conn.execute("select max(id) from impressions").fetchone()
    started = dt.datetime.now(dt.UTC)
    ticks: list[Tick] = []
    totals = stream(conn, rate=400, duration=1.6, interval=0.4, seed=1, on_tick=ticks.append)
    finished = dt.datetime.now(dt.UTC)
    assert 2 <= len(ticks) <= 5  # timing on a loaded machine varies
    events = totals["impressions"] + totals["clicks"] + totals["conversions"]
    assert events == ticks[-1].total_events
    assert 400 * 1.6 * 0.7 < events < 400 * 1.6 * 1.2
    assert conn.execute(
        "select count(*), min(served_at) >= %s, max(served_at) <= %s from impressions"
        " where id > %s",
        (started - dt.timedelta(seconds=1), finished, last_id[0] if last_id else 0),
    ).fetchone() == (totals["impressions"], True, True)
    assert conn.execute("select max(clicked_at) <= %s from clicks", (finished,)).fetchone() == (
        True,
    )


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
    with pytest.raises(SeedRuntimeError, match="no live campaign"):
        stream(conn, rate=10, duration=0.2, interval=0.1)
