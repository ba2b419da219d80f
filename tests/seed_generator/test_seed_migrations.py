from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest

from campaign_analytics.settings import Settings
from seed_generator import migrations
from seed_generator.migrations import (
    apply_migrations,
    apply_pending_in_transaction,
    discover,
)

T = TypeVar("T")

EXPECTED_TABLES = {
    "advertisers", "audiences", "campaign_channels", "campaigns", "channels", "clicks",
    "conversions", "impressions", "schema_migrations", "api_keys",
}  # fmt: skip
ALL = [m.name for m in discover()]


def _tables(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute(
        "select table_name from information_schema.tables where table_schema = 'public'"
    ).fetchall()
    return {name for (name,) in rows}


def test_applies_every_migration_once(settings: Settings) -> None:
    assert settings.postgres_dsn
    with psycopg.connect(settings.postgres_dsn) as conn:
        assert apply_migrations(conn) == [m.name for m in discover()]
        assert apply_migrations(conn) == []
        assert _tables(conn) == EXPECTED_TABLES
        rows = conn.execute("select version, name from schema_migrations").fetchall()
    assert rows == [(1, "V1__create_schema.sql"), (2, "V2__api_keys.sql")]


def test_works_in_autocommit_mode(settings: Settings) -> None:
    assert settings.postgres_dsn
    with psycopg.connect(settings.postgres_dsn, autocommit=True) as conn:
        assert apply_migrations(conn) == ALL
        assert apply_migrations(conn) == []


def test_concurrent_callers_apply_each_file_once(settings: Settings) -> None:
    assert settings.postgres_dsn
    results = _at_once(4, settings.postgres_dsn, apply_migrations)
    assert sorted(name for applied in results for name in applied) == sorted(ALL)


def test_refuses_a_connection_inside_a_transaction(settings: Settings) -> None:
    assert settings.postgres_dsn
    with psycopg.connect(settings.postgres_dsn) as conn:
        conn.execute("select 1")
        with pytest.raises(RuntimeError, match="no transaction open"):
            apply_migrations(conn)


def test_pending_migrations_can_share_the_callers_transaction(settings: Settings) -> None:
    assert settings.postgres_dsn
    with psycopg.connect(settings.postgres_dsn) as conn:
        with pytest.raises(RuntimeError, match="needs an open transaction"):
            apply_pending_in_transaction(conn)
        conn.execute("select 1")
        assert apply_pending_in_transaction(conn) == ALL
        conn.rollback()  # the caller's work failed: the schema goes with it
        assert _tables(conn) == set()
        conn.rollback()
        conn.execute("select 1")
        assert apply_pending_in_transaction(conn) == ALL
        conn.commit()
        conn.execute("select 1")
        assert apply_pending_in_transaction(conn) == []
        locks = conn.execute(
            "select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()"
        ).fetchone()
        assert locks == (0,)  # up to date: nothing to wait for


def test_concurrent_callers_sharing_their_transactions(settings: Settings) -> None:
    """The first one holds the migration lock until it commits; the others then skip."""
    assert settings.postgres_dsn
    dsn = settings.postgres_dsn

    def migrate_and_write(conn: psycopg.Connection) -> list[str]:
        with conn.transaction():
            applied = apply_pending_in_transaction(conn)
            conn.execute("insert into channels (name) values (%s)", (f"c{id(conn)}",))
        return applied

    results = _at_once(3, dsn, migrate_and_write)
    assert sorted(len(r) for r in results) == [0, 0, len(ALL)]
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select count(*) from channels").fetchone() == (3,)


def test_a_failing_migration_leaves_no_trace(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for migration in discover():
        (tmp_path / migration.name).write_text(migration.path.read_text())
    broken = len(ALL) + 1
    (tmp_path / f"V{broken}__broken.sql").write_text(
        "create table half_done (id int);\nselect 1/0;"
    )
    monkeypatch.setattr(migrations, "MIGRATIONS_DIR", tmp_path)
    assert settings.postgres_dsn
    with psycopg.connect(settings.postgres_dsn) as conn:
        with pytest.raises(psycopg.errors.DivisionByZero):
            apply_migrations(conn)
        # the good ones committed each in its own transaction; the broken one rolled back
        assert "half_done" not in _tables(conn)
        versions = conn.execute("select version from schema_migrations order by 1").fetchall()
        assert versions == [(i + 1,) for i in range(len(ALL))]


def test_discover_rejects_bad_names(tmp_path: Path) -> None:
    (tmp_path / "create_things.sql").write_text("")
    with pytest.raises(ValueError, match="V<number>__<name>"):
        discover(tmp_path)
    (tmp_path / "create_things.sql").unlink()
    (tmp_path / "V1__a.sql").write_text("")
    (tmp_path / "V01__b.sql").write_text("")
    with pytest.raises(ValueError, match="version 1"):
        discover(tmp_path)


def test_discover_orders_numerically(tmp_path: Path) -> None:
    for name in ("V10__c.sql", "V2__b.sql", "V1__a.sql"):
        (tmp_path / name).write_text("")
    assert [m.version for m in discover(tmp_path)] == [1, 2, 10]


def _at_once(callers: int, dsn: str, work: Callable[[psycopg.Connection], T]) -> list[T]:
    """``work`` on ``callers`` connections released together; fails on any caller's error."""
    results: list[T] = []
    errors: list[BaseException] = []
    start = threading.Barrier(callers)

    def run() -> None:
        try:
            with psycopg.connect(dsn) as conn:
                start.wait()
                results.append(work(conn))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results
