"""Writing generated rows: id reservation, bulk COPY and the trusted-reference fast path."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from seed_generator import pgbinary
from seed_generator.catalog import CONVERSION_TYPES

# Every writer in this package takes this advisory lock around nextval + setval, so two
# concurrent commands never receive overlapping id ranges.
_ID_LOCK_KEY = 0x5EED_0002

TABLES = (
    "advertisers",
    "channels",
    "campaigns",
    "campaign_channels",
    "audiences",
    "impressions",
    "clicks",
    "conversions",
)

IMPRESSION_COLUMNS = (
    "id",
    "campaign_id",
    "channel_id",
    "audience_id",
    "user_id",
    "served_at",
    "cost",
)
CLICK_COLUMNS = ("id", "impression_id", "impression_served_at", "clicked_at", "cost")
CONVERSION_COLUMNS = (
    "id",
    "click_id",
    "click_clicked_at",
    "converted_at",
    "conversion_type",
    "revenue",
)


def reserve_ids(conn: psycopg.Connection, table: str, count: int) -> int:
    """Reserve ``count`` consecutive ids of ``table``'s identity; returns the first one.

    Assigning ids client-side lets clicks reference the impressions generated with them
    without a round trip. The sequence is advanced outside the transaction (sequences are not
    transactional), so a rolled-back command leaves a gap, never a collision.

    The lock is a session lock, released right after setval: a transaction-scoped one would
    be held until commit and make every other writer wait for a whole batch. nextval and
    setval run in a savepoint, so if one fails the transaction stays usable for the unlock
    and the caller sees the original error.
    """
    if count <= 0:
        return 0
    conn.execute("select pg_advisory_lock(%s)", (_ID_LOCK_KEY,))
    try:
        with conn.transaction():
            row = conn.execute(
                "select nextval(pg_get_serial_sequence(%s, 'id'))", (table,)
            ).fetchone()
            assert row is not None
            first = int(row[0])
            if count > 1:
                conn.execute(
                    "select setval(pg_get_serial_sequence(%s, 'id'), %s)",
                    (table, first + count - 1),
                )
    finally:
        conn.execute("select pg_advisory_unlock(%s)", (_ID_LOCK_KEY,))
    return first


@contextlib.contextmanager
def trusted_references(conn: psycopg.Connection, enabled: bool = True) -> Iterator[bool]:
    """Skip the per-row foreign-key triggers while bulk-loading events, when allowed.

    The RI trigger costs more than everything else in an impression insert (one SPI query
    per row per foreign key). Callers inside this block must only write rows whose parents
    they created in this transaction or locked with :func:`lock_parents` (FOR KEY SHARE,
    exactly what the trigger would take, but once per parent instead of once per row).
    Needs superuser (or SET on session_replication_role); without it the triggers stay on.
    Yields whether the fast path is active.
    """
    if not enabled:
        yield False
        return
    row = conn.execute("select current_setting('session_replication_role')").fetchone()
    previous = row[0] if row else "origin"
    try:
        with conn.transaction():  # a savepoint, so a refusal does not abort the caller
            conn.execute("set local session_replication_role = replica")
    except psycopg.errors.InsufficientPrivilege:
        yield False
        return
    try:
        yield True
    finally:
        if conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS:
            conn.execute(
                sql.SQL("set local session_replication_role = {}").format(sql.Literal(previous))
            )


def lock_parents(
    conn: psycopg.Connection,
    campaign_channels: Sequence[tuple[int, int]] = (),
    audience_ids: Sequence[int] = (),
) -> None:
    """Lock referenced parent rows like the FK trigger would; raise if one is missing."""
    if campaign_channels:
        campaigns, channels = zip(*campaign_channels, strict=True)
        locked = conn.execute(
            "select cc.campaign_id from campaign_channels cc"
            " join unnest(%s::bigint[], %s::bigint[]) as p (campaign_id, channel_id)"
            " using (campaign_id, channel_id) for key share of cc",
            (list(campaigns), list(channels)),
        ).fetchall()
        if len(locked) != len(set(campaign_channels)):
            raise psycopg.errors.ForeignKeyViolation("a referenced campaign_channels row is gone")
    if audience_ids:
        wanted = sorted(set(audience_ids))
        locked = conn.execute(
            "select id from audiences where id = any(%s) for key share", (wanted,)
        ).fetchall()
        if len(locked) != len(wanted):
            raise psycopg.errors.ForeignKeyViolation("a referenced audiences row is gone")


def copy_records(
    conn: psycopg.Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int:
    """COPY a few Python rows (entities); text format, psycopg adapts the values."""
    if not rows:
        return 0
    statement = sql.SQL("copy {} ({}) from stdin").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
    return len(rows)


def encode_impressions(
    ids: np.ndarray,
    campaign_ids: np.ndarray,
    channel_ids: np.ndarray,
    audience_ids: np.ndarray,
    user_ids: np.ndarray,
    served_at: np.ndarray,
    cost_micros: np.ndarray,
) -> bytes:
    return pgbinary.encode(
        [
            pgbinary.Int8(ids),
            pgbinary.Int8(campaign_ids),
            pgbinary.Int8(channel_ids),
            pgbinary.Int8(audience_ids),
            pgbinary.Int8(user_ids),
            pgbinary.Timestamptz(served_at),
            pgbinary.Numeric(cost_micros, scale=6, integer_digits=2),
        ]
    )


def copy_clicks(
    conn: psycopg.Connection,
    ids: np.ndarray,
    impression_ids: np.ndarray,
    served_at: np.ndarray,
    clicked_at: np.ndarray,
    cost_micros: np.ndarray,
) -> int:
    if len(ids) == 0:
        return 0
    data = pgbinary.encode(
        [
            pgbinary.Int8(ids),
            pgbinary.Int8(impression_ids),
            pgbinary.Timestamptz(served_at),
            pgbinary.Timestamptz(clicked_at),
            pgbinary.Numeric(cost_micros, scale=6, integer_digits=2),
        ]
    )
    return copy_encoded(conn, "clicks", CLICK_COLUMNS, data, len(ids))


def copy_conversions(
    conn: psycopg.Connection,
    ids: np.ndarray,
    click_ids: np.ndarray,
    clicked_at: np.ndarray,
    converted_at: np.ndarray,
    type_codes: np.ndarray,
    revenue_cents: np.ndarray,
) -> int:
    if len(ids) == 0:
        return 0
    data = pgbinary.encode(
        [
            pgbinary.Int8(ids),
            pgbinary.Int8(click_ids),
            pgbinary.Timestamptz(clicked_at),
            pgbinary.Timestamptz(converted_at),
            pgbinary.Category(type_codes, CONVERSION_TYPES),
            pgbinary.Numeric(revenue_cents, scale=2, integer_digits=3),
        ]
    )
    return copy_encoded(conn, "conversions", CONVERSION_COLUMNS, data, len(ids))


def copy_encoded(
    conn: psycopg.Connection, table: str, columns: Sequence[str], data: bytes, count: int
) -> int:
    """COPY one chunk already in binary COPY format (header and trailer included)."""
    if count == 0:
        return 0
    statement = sql.SQL("copy {} ({}) from stdin (format binary)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(data)
    return count


def reset(conn: psycopg.Connection) -> None:
    """Empty every source table and restart the ids (schema_migrations is kept); the API
    keys go too, since each belongs to an advertiser."""
    keys = conn.execute("select to_regclass('api_keys') is not null").fetchone()
    tables = [*TABLES, *(["api_keys"] if keys and keys[0] else [])]
    with conn.transaction():
        conn.execute(
            sql.SQL("truncate table {} restart identity").format(
                sql.SQL(", ").join(map(sql.Identifier, tables))
            )
        )
