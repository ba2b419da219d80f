"""The commit horizon: the newest ``updated_at`` below which every row is already committed.

A timestamp cursor misses rows whose transaction commits after a later timestamp was read:
the row carries its transaction's start time (``now()``), not its commit time. No row of a
transaction that is still open can be older than that transaction's start, so reading only
rows older than the oldest open transaction's start (or the server clock, when none is open)
never skips a row, and needs no lag window to re-read: a re-run with no change reads nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

# Every open transaction counts, writing or not yet: one that has only read so far may still
# write rows stamped with its (old) start time.
HORIZON_SQL = """
select least(
    clock_timestamp(),
    (select min(xact_start) from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid()
        and xact_start is not null)
)
"""


def commit_horizon(dsn: str) -> datetime:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(HORIZON_SQL).fetchone()[0]


class Horizon:
    """The horizon of one extract, shared by every table of the source.

    A source built once and run again (the live loop) moves it forward before each run;
    every table of a run reads up to the same instant."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.value = commit_horizon(dsn)

    def advance(self) -> datetime:
        self.value = commit_horizon(self.dsn)
        return self.value


def below_horizon(horizon: Horizon, cursor_column: str) -> Any:
    """dlt ``query_adapter_callback`` that bounds the extract query by the horizon."""

    def adapt(query: Any, table: Any) -> Any:
        return query.where(table.c[cursor_column] < horizon.value)

    return adapt
