"""The warm micro-batch loop behind `serve`'s live mode: one dlt pipeline, cycled for ever.

`make load` builds a pipeline, opens its state, reflects the source, runs, reconciles every
table and closes: about two seconds of fixed cost, most of it spent again on the next run.
A live refresh every few seconds keeps all of that:

* the pipeline (its state, schema and destination client) and the source (its reflected
  tables) are built once, and the working directory stays locked for the process's life, so
  no `make load` can run beside it;
* each cycle reads the events up to a fresh commit horizon (see commit_horizon.py), and the
  entities every ``entities_every`` cycles, or sooner when one of them changed: events of a
  campaign that raw does not know yet must not reach the marts before the campaign; a
  cycle with no committed row past any cursor skips dlt's run (an idle cycle is a query);
* a package an interrupted process left is loaded first (as `make load` does);
* the primary-key check that finds hard deletes runs every ``reconcile.every_n_loads``
  cycles that loaded something, and on demand: its cost grows with the tables;
* nothing of dlt's ``load_info`` is written to the destination (it would add rows per cycle);
  the moved tables come from the run's trace.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import dlt
import psycopg
from dlt.common.runtime.collector import NULL_COLLECTOR
from psycopg import sql

from campaign_analytics import postgres
from campaign_analytics.settings import Settings
from dlt_pipelines import load, reconcile, run
from dlt_pipelines.ad_platform import ad_platform
from dlt_pipelines.commit_horizon import Horizon


@dataclass
class Cycle:
    """What one cycle did."""

    load_ids: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # rows loaded per source table
    deletes: dict[str, list[int]] = field(default_factory=dict)  # ids removed per table
    entities: bool = False  # the entity tables were read
    steps: dict[str, float] = field(default_factory=dict)  # seconds per step

    @property
    def moved_tables(self) -> list[str]:
        return sorted({*self.rows, *(t for t, ids in self.deletes.items() if ids)})


class WarmLoader:
    """The ad-platform pipeline kept open for repeated cycles; ``close()`` releases it."""

    def __init__(self, settings: Settings, *, entities_every: int = 10) -> None:
        self.settings = settings
        self.entities_every = max(1, entities_every)
        self.dsn = postgres.source_dsn(settings)
        self.dimension_tables, self.event_tables = load.source_tables()
        self.cursor = str(dlt.config["sources.ad_platform.cursor_column"])
        self.reconcile_every = int(dlt.config.get("reconcile.every_n_loads") or 0)
        self._stack = contextlib.ExitStack()
        try:
            self._stack.enter_context(run._pipeline_lock(settings))
            self._stack.enter_context(run._engine_held(settings))
            self.pipeline = run._open_pipeline(settings, restore_state=False)
            # `make load` logs dlt's progress; a cycle every two seconds would flood the log
            self.pipeline.collector = NULL_COLLECTOR
            # reflecting the source's tables costs ~0.5 s: once, with a horizon we advance
            self.horizon = Horizon(self.dsn)
            self._everything = ad_platform(credentials=self.dsn, horizon=self.horizon)
            self._events = ad_platform(credentials=self.dsn, horizon=self.horizon)
            self._events = self._events.with_resources(*self.event_tables)
        except BaseException:
            self._stack.close()
            raise
        self._cycles = 0
        self._loads = 0

    def close(self) -> None:
        self._stack.close()

    # -- entities -----------------------------------------------------------------------------

    def event_cursors(self) -> dict[str, Any]:
        """The events' cursors after the last cycle: every event up to them is in raw."""
        return load.cursors(self.pipeline, self.event_tables)

    def _changed(self, tables: list[str]) -> bool:
        """Whether one of ``tables`` has a committed row past its cursor (or was never
        loaded): one indexed `exists` per table."""
        cursors = load.cursors(self.pipeline, tables)
        if any(value is None for value in cursors.values()):
            return True
        query = sql.SQL(" union all ").join(
            sql.SQL("select exists (select from {t} where {c} > %s)").format(
                t=sql.Identifier(table), c=sql.Identifier(self.cursor)
            )
            for table in cursors
        )
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            return any(row[0] for row in conn.execute(query, list(cursors.values())))

    # -- a cycle ------------------------------------------------------------------------------

    def cycle(self, *, entities: bool | None = None, reconcile_now: bool = False) -> Cycle:
        """Load what the source committed since the last cycle.

        ``entities``: None lets the cadence (or a changed entity) decide; ``reconcile_now``
        runs the hard-delete check whatever the cadence."""
        result = Cycle()
        p = self.pipeline
        self._cycles += 1
        started = time.perf_counter()
        pending, tables = load.finish_pending(p)  # left by a process killed mid-load
        result.load_ids.extend(pending)
        result.rows.update(dict.fromkeys(tables, 0))  # rows unknown: rebuild them
        if entities is None:
            entities = self._cycles % self.entities_every == 1 or self.entities_every == 1
            entities = entities or self._changed(self.dimension_tables)
        result.entities = entities
        if not (entities or pending or reconcile_now or self._changed(self.event_tables)):
            # nothing committed past the cursors: a dlt run would extract nothing
            result.steps["prepare"] = time.perf_counter() - started
            return result
        self.horizon.advance()
        result.steps["prepare"] = time.perf_counter() - started
        info = p.run(self._everything if entities else self._events)
        result.steps.update({f"dlt_{k}": v for k, v in load.step_seconds(p).items()})
        for moved in load.table_summary(p):
            result.rows[moved.table] = result.rows.get(moved.table, 0) + moved.loaded
        if info.loads_ids:
            result.load_ids.extend(info.loads_ids)
            self._loads += 1
        scheduled = (
            self.reconcile_every > 0 and bool(info.loads_ids)
            and self._loads % self.reconcile_every == 0
        )  # fmt: skip
        if reconcile_now or scheduled:
            started = time.perf_counter()
            result.deletes = self.remove_hard_deletes()
            result.steps["reconcile"] = time.perf_counter() - started
        return result

    def remove_hard_deletes(self) -> dict[str, list[int]]:
        with psycopg.connect(self.dsn) as conn:
            return reconcile.remove_hard_deletes(self.pipeline, conn, run._specs())
