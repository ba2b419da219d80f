"""The numpy binary COPY encoder against a real server: the server is the judge of the format."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import psycopg
import pytest
from psycopg import sql

from seed_generator import pgbinary


@pytest.fixture
def scratch(conn: psycopg.Connection) -> psycopg.Connection:
    conn.execute(
        "create temp table scratch (i bigint, t timestamptz, small numeric(12, 6),"
        " money numeric(12, 2), label text)"
    )
    return conn


def _copy(conn: psycopg.Connection, columns: list[pgbinary.Column]) -> None:
    with (
        conn.cursor() as cursor,
        cursor.copy("copy scratch (i, t, small, money, label) from stdin (format binary)") as copy,
    ):
        copy.write(pgbinary.encode(columns))


def test_values_round_trip(scratch: psycopg.Connection) -> None:
    micros = np.array([0, 1, 999_999_999_999, 123_456_789, 10_000], dtype=np.int64)
    cents = np.array([0, 1, 99_999_999_999, 12_345, 100], dtype=np.int64)
    times = np.array([0, 946_684_800_000_000, 1_740_787_200_123_456, 1, -1_000_000], dtype=np.int64)
    labels = ("purchase", "lead", "install")
    _copy(
        scratch,
        [
            pgbinary.Int8(np.array([1, -2, 2**62, 0, 5])),
            pgbinary.Timestamptz(times),
            pgbinary.Numeric(micros, scale=6, integer_digits=2),
            pgbinary.Numeric(cents, scale=2, integer_digits=3),
            pgbinary.Category(np.array([0, 1, 2, 1, 0]), labels),
        ],
    )
    rows = scratch.execute("select * from scratch order by ctid").fetchall()
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    assert rows == [
        (
            int(i),
            epoch + dt.timedelta(microseconds=int(t)),
            Decimal(int(m)).scaleb(-6),
            Decimal(int(c)).scaleb(-2),
            labels[code],
        )
        for i, t, m, c, code in zip(
            [1, -2, 2**62, 0, 5], times, micros, cents, [0, 1, 2, 1, 0], strict=True
        )
    ]
    # stored normalised, exactly as if inserted from text
    texts = scratch.execute("select small::text, money::text from scratch order by ctid")
    assert texts.fetchall()[:3] == [
        ("0.000000", "0.00"),
        ("0.000001", "0.01"),
        ("999999.999999", "999999999.99"),
    ]


def test_values_outside_the_digits_are_refused() -> None:
    with pytest.raises(ValueError, match="too large"):
        pgbinary.encode([pgbinary.Numeric(np.array([10**14]), scale=6, integer_digits=2)])
    with pytest.raises(ValueError, match="non-negative"):
        pgbinary.encode([pgbinary.Numeric(np.array([-1]), scale=2)])


def test_typmod_overflow_is_the_servers_call(scratch: psycopg.Connection) -> None:
    # fits the encoding's digits but not numeric(12, 2): the server must say no
    with pytest.raises(psycopg.errors.NumericValueOutOfRange):
        _copy(
            scratch,
            [
                pgbinary.Int8(np.array([1])),
                pgbinary.Timestamptz(np.array([0])),
                pgbinary.Numeric(np.array([0]), scale=6, integer_digits=2),
                pgbinary.Numeric(np.array([10**11 * 100]), scale=2, integer_digits=3),
                pgbinary.Category(np.array([0]), ("x",)),
            ],
        )


def test_empty_chunk_is_a_valid_copy(scratch: psycopg.Connection) -> None:
    empty = np.zeros(0, dtype=np.int64)
    _copy(
        scratch,
        [
            pgbinary.Int8(empty),
            pgbinary.Timestamptz(empty),
            pgbinary.Numeric(empty, scale=6, integer_digits=2),
            pgbinary.Numeric(empty, scale=2),
            pgbinary.Category(empty, ("a",)),
        ],
    )
    assert scratch.execute("select count(*) from scratch").fetchone() == (0,)


def test_fetch_int8_columns(conn: psycopg.Connection) -> None:
    query = sql.SQL(
        "select g::bigint, timestamptz '2025-03-01 00:00:01.5+00' + g * interval '1 second'"
        " from generate_series(1, 3) g"
    )
    with conn.cursor() as cursor:
        got = pgbinary.fetch_int8_columns(cursor, query, 2, timestamps=[1])
    base = int(dt.datetime(2025, 3, 1, 0, 0, 1, 500_000, tzinfo=dt.UTC).timestamp() * 1e6)
    assert got.tolist() == [[g, base + g * 1_000_000] for g in (1, 2, 3)]
