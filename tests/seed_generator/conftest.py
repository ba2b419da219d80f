"""Fixtures for the seed generator: migrated connections and a CLI runner on a fresh database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psycopg
import pytest
from typer.testing import CliRunner, Result

from campaign_analytics.settings import Settings, get_settings
from seed_generator.cli import app
from seed_generator.migrations import apply_migrations
from seed_generator.storage import TABLES

# A fixed "today" keeps flights, statuses and timestamps reproducible.
TODAY = dt.date(2025, 3, 1)


@pytest.fixture
def today() -> dt.date:
    return TODAY


@pytest.fixture
def conn(settings: Settings) -> Iterator[psycopg.Connection]:
    """A connection to this test's empty source database, schema applied.

    Autocommit: every API call commits its own transaction, as it does from the CLI.
    """
    assert settings.postgres_dsn
    with psycopg.connect(settings.postgres_dsn, autocommit=True) as connection:
        apply_migrations(connection)
        yield connection


def row_counts(connection: psycopg.Connection) -> dict[str, int]:
    counts = {}
    for table in TABLES:
        row = connection.execute(f"select count(*) from {table}").fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts


@pytest.fixture(name="row_counts")
def row_counts_fixture() -> Callable[[psycopg.Connection], dict[str, int]]:
    """Row counts per source table over a given connection."""
    return row_counts


@dataclass
class Cli:
    """Runs the CLI against one database; ``get_settings`` is cached, so clear it around."""

    dsn: str

    def __call__(self, *args: str, input: str | None = None) -> Result:
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, list(args), input=input, env={"POSTGRES_DSN": self.dsn})
        finally:
            get_settings.cache_clear()


@pytest.fixture
def cli(settings: Settings) -> Cli:
    assert settings.postgres_dsn
    return Cli(settings.postgres_dsn)


@pytest.fixture
def counts(settings: Settings) -> Callable[[], dict[str, int]]:
    """Row counts per table, read over a fresh connection (what others would see)."""

    def read() -> dict[str, int]:
        assert settings.postgres_dsn
        with psycopg.connect(settings.postgres_dsn) as connection:
            apply_migrations(connection)  # a failed command leaves a fresh database bare
            return row_counts(connection)

    return read
