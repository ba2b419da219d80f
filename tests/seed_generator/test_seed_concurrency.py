"""Commands running at the same time on one database: id ranges and names must not clash."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable

import psycopg
import pytest
from psycopg import sql

from campaign_analytics.settings import Settings
from seed_generator import generate_batch, storage, stream

TODAY = dt.date(2025, 3, 1)


def _run_together(dsn: str, *jobs: Callable[[psycopg.Connection], object]) -> list[object]:
    results: list[object] = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def run(index: int, job: Callable[[psycopg.Connection], object]) -> None:
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                start.wait()
                results[index] = job(conn)
        except BaseException as error:  # reported by the caller
            results[index] = error

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_batches(settings: Settings, conn: psycopg.Connection, row_counts) -> None:
    assert settings.postgres_dsn
    # channels already there, so their inserts do not serialise the two batches
    generate_batch(conn, advertisers=0, campaigns=0, impressions=0, audiences=0)
    results = _run_together(
        settings.postgres_dsn,
        # seeds 1 and 5 pick one audience name in common
        lambda c: generate_batch(c, impressions=5_000, seed=1, today=TODAY),
        lambda c: generate_batch(c, impressions=7_000, seed=5, today=TODAY),
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    totals = row_counts(conn)
    assert totals["impressions"] == 12_000
    assert totals["audiences"] == 24 and totals["channels"] == 10


def test_stream_alongside_a_batch(settings: Settings, conn: psycopg.Connection) -> None:
    assert settings.postgres_dsn
    generate_batch(conn, advertisers=2, campaigns=5, impressions=1_000, seed=3)
    results = _run_together(
        settings.postgres_dsn,
        lambda c: generate_batch(c, impressions=20_000, seed=4, chunk_rows=2_000),
        lambda c: stream(c, rate=500, duration=1.0, interval=0.2, seed=5),
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    streamed = results[1]
    assert isinstance(streamed, dict) and streamed["impressions"] > 0
    row = conn.execute("select count(*) from impressions").fetchone()
    assert row == (1_000 + 20_000 + streamed["impressions"],)


def test_a_failed_id_reservation_keeps_its_error_and_frees_the_lock(
    settings: Settings, conn: psycopg.Connection
) -> None:
    """The advisory lock is a session lock: an error must not leave it held."""
    assert settings.postgres_dsn
    with conn.transaction():
        with pytest.raises(psycopg.errors.UndefinedTable):
            storage.reserve_ids(conn, "no_such_table", 5)
        assert conn.execute("select 1").fetchone() == (1,)  # the transaction is still usable
        with psycopg.connect(settings.postgres_dsn, autocommit=True) as other:
            free = other.execute("select pg_try_advisory_lock(%s)", (storage._ID_LOCK_KEY,))
            assert free.fetchone() == (True,)
            other.execute("select pg_advisory_unlock(%s)", (storage._ID_LOCK_KEY,))
        assert storage.reserve_ids(conn, "advertisers", 3) == 1


def test_without_superuser_the_fk_triggers_stay_on(
    settings: Settings, conn: psycopg.Connection
) -> None:
    """A plain role cannot skip the FK triggers: the batch falls back to checked inserts."""
    role = f"seed_plain_{uuid.uuid4().hex[:8]}"
    conn.execute(sql.SQL("create role {} login").format(sql.Identifier(role)))
    try:
        conn.execute(
            sql.SQL("grant all on all tables in schema public to {0};"
                    " grant all on all sequences in schema public to {0}").format(
                sql.Identifier(role)
            )
        )  # fmt: skip
        assert settings.postgres_dsn
        info = psycopg.conninfo.conninfo_to_dict(settings.postgres_dsn)
        info.update(user=role, password=None)
        try:
            plain = psycopg.connect(psycopg.conninfo.make_conninfo(**info), autocommit=True)
        except psycopg.OperationalError as error:
            pytest.skip(f"this server does not let a new role log in: {error}")
        with plain:
            with plain.transaction(), storage.trusted_references(plain) as trusted:
                assert trusted is False
            counts = generate_batch(plain, impressions=2_000, seed=1, today=TODAY)
        assert counts["impressions"] == 2_000
    finally:
        conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))
