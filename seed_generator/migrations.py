"""Versioned SQL migrations for the source database (``migrations/V<n>__<name>.sql``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import pq

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_FILE_NAME = re.compile(r"^V(?P<version>[0-9]+)__(?P<name>\w+)\.sql$")
# Arbitrary but fixed: every process that migrates the source takes this advisory lock.
_LOCK_KEY = 0x5EED_0001

_CREATE_TABLE = """
create table if not exists schema_migrations (
    version integer primary key,
    name text not null,
    applied_at timestamptz not null default now()
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str  # the file name, e.g. V1__create_schema.sql
    path: Path


def discover(directory: Path | None = None) -> list[Migration]:
    """The migration files in version order; a malformed name or a reused version is an error."""
    migrations: dict[int, Migration] = {}
    for path in (directory or MIGRATIONS_DIR).glob("*.sql"):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise ValueError(f"{path}: migration files must be named V<number>__<name>.sql")
        version = int(match["version"])
        if version in migrations:
            raise ValueError(f"{path}: version {version} is also {migrations[version].path.name}")
        migrations[version] = Migration(version, path.name, path)
    return [migrations[version] for version in sorted(migrations)]


def apply_migrations(conn: psycopg.Connection) -> list[str]:
    """Apply the migrations this database has not seen; returns the file names applied now.

    Each migration runs in its own transaction together with its ``schema_migrations`` row,
    under a transaction-scoped advisory lock, so concurrent callers apply each file once: the
    second one waits for the first to commit and then finds the version recorded.
    """
    if conn.info.transaction_status != pq.TransactionStatus.IDLE:
        raise RuntimeError("apply_migrations needs a connection with no transaction open")
    applied: list[str] = []
    for migration in discover():
        with conn.transaction():
            if _apply(conn, migration):
                applied.append(migration.name)
    return applied


def apply_pending_in_transaction(conn: psycopg.Connection) -> list[str]:
    """Apply pending migrations inside the caller's open transaction; returns the names.

    For a command that must leave no trace when it fails, schema included: the migrations
    commit or roll back with the caller's work. An up-to-date database is only read (no
    lock); otherwise the migration lock is held until the caller's transaction ends, so a
    concurrent caller waits for it and then finds the versions recorded.
    """
    if conn.info.transaction_status != pq.TransactionStatus.INTRANS:
        raise RuntimeError("apply_pending_in_transaction needs an open transaction")
    exists = conn.execute("select to_regclass('schema_migrations') is not null").fetchone()
    if exists and exists[0]:
        recorded = {v for (v,) in conn.execute("select version from schema_migrations")}
        if all(m.version in recorded for m in discover()):
            return []
    return [migration.name for migration in discover() if _apply(conn, migration)]


def _apply(conn: psycopg.Connection, migration: Migration) -> bool:
    """Apply one migration unless it is recorded, under the migration lock; True if applied."""
    conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
    conn.execute(_CREATE_TABLE)
    done = conn.execute(
        "select 1 from schema_migrations where version = %s", (migration.version,)
    ).fetchone()
    if done:
        return False
    # no parameters: psycopg sends the file as one simple query, statements and all
    conn.execute(migration.path.read_text())  # type: ignore[arg-type]
    conn.execute(
        "insert into schema_migrations (version, name) values (%s, %s)",
        (migration.version, migration.name),
    )
    return True
