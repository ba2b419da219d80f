"""Shared fixtures: real PostgreSQL and real ClickHouse (chDB), isolated per test session.

PostgreSQL: the server from POSTGRES_DSN when set (e.g. the machine's 127.0.0.1:5432), else
an embedded server under .data/test/; either way each session works in a database of its own.

chDB: one process may hold one chDB path, so the session uses one directory under a temp dir
(isolated by database name); steps that open it from another process (dlt, dbt) run while
this process has it closed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

os.environ["TZ"] = "UTC"

from campaign_analytics import postgres
from campaign_analytics.settings import REPO_ROOT, Settings, load_settings
from seed_generator.migrations import apply_migrations
from tests.pipeline import FIXED_ENTITIES

# where the suite's own embedded PostgreSQL lives (when POSTGRES_DSN names no server)
TEST_DATA_DIR = Path(os.environ.get("CA_TEST_DATA_DIR", REPO_ROOT / ".data" / "test"))
_STARTED_HERE = pytest.StashKey[bool]()


def pytest_configure(config: pytest.Config) -> None:
    """Note whether the test PostgreSQL was already running (in the process that owns the run:
    xdist's controller, or the only process), so the end of the run stops only what it started.
    """
    if not hasattr(config, "workerinput") and not os.environ.get("POSTGRES_DSN"):
        config.stash[_STARTED_HERE] = postgres._running_port(TEST_DATA_DIR / "postgres") is None


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.stash.get(_STARTED_HERE, False):
        postgres.stop_embedded(TEST_DATA_DIR / "postgres")


def _admin_dsn() -> str:
    explicit = os.environ.get("POSTGRES_DSN")
    if explicit:
        return explicit
    return postgres.ensure_embedded(TEST_DATA_DIR / "postgres", "postgres")


def _with_database(dsn: str, database: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    info["dbname"] = database
    return postgres.as_url(psycopg.conninfo.make_conninfo(**info))


@pytest.fixture(scope="session")
def admin_dsn() -> str:
    return _admin_dsn()


@pytest.fixture(scope="session")
def make_database(admin_dsn: str) -> Iterator:
    """Factory: a fresh, empty PostgreSQL database; all are dropped at the end of the session."""
    created: list[str] = []

    def make(prefix: str = "ads_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        created.append(name)
        return _with_database(admin_dsn, name)

    yield make
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        for name in created:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("campaign_analytics")


@pytest.fixture(scope="module", autouse=True)
def releases_the_session_engine(session_dir: Path, request: pytest.FixtureRequest) -> Iterator:
    """A module must leave the session's chDB engine closed: this process can open one chDB
    path at a time, so an engine left running breaks whichever later module (of this
    worker) opens another path, far from the cause. Fail here, naming the module."""
    yield
    import chdb_engine

    if chdb_engine.runs_in_this_process(session_dir / "chdb"):
        pytest.fail(
            f"{request.module.__name__} left the session's chDB engine open: close every "
            "client and connection it opened (or hold it with chdb_engine.held)"
        )


@pytest.fixture
def settings(make_database, session_dir: Path) -> Settings:
    """Settings for one test: its own source database, raw and analytics ClickHouse databases."""
    suffix = uuid.uuid4().hex[:8]
    env = {
        "CA_DATA_DIR": str(session_dir / suffix),
        "DBT_TARGET_PATH": str(session_dir / suffix / "dbt_target"),
        "POSTGRES_DSN": make_database(),
        "CHDB_PATH": str(session_dir / "chdb"),
        "CLICKHOUSE_RAW_DATABASE": f"raw_{suffix}",
        "CLICKHOUSE_DATABASE": f"analytics_{suffix}",
    }
    return load_settings(env)


@pytest.fixture
def isolated(make_database, tmp_path: Path) -> Settings:
    """Settings with a chDB directory of their own, for CLI and make subprocesses.

    The source has the schema and FIXED_ENTITIES (tests add events with ``add_events``).
    """
    settings = load_settings(
        {
            "CA_DATA_DIR": str(tmp_path),
            "DBT_TARGET_PATH": str(tmp_path / "dbt_target"),
            "POSTGRES_DSN": make_database(),
            "CHDB_PATH": str(tmp_path / "chdb"),
        }
    )
    assert settings.postgres_dsn
    with psycopg.connect(settings.postgres_dsn) as conn:
        apply_migrations(conn)
        conn.execute(FIXED_ENTITIES)
    return settings
