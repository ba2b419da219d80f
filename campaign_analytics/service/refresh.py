"""The warehouse refreshed inside `serve`: a warm dlt cycle, a hot dbt build, publish.

On the embedded target `serve` is the only process that may open chDB, so it loads and
builds itself, one refresh at a time, every `--refresh-every` seconds (2 s makes it live):

* the dlt pipeline, its source and its SQL engine are built once (dlt_pipelines/live.py):
  each cycle reads the events past the commit horizon, and the entities every
  CA_ENTITIES_EVERY cycles;
* when a cycle moved rows, dbt builds only what those source tables feed, through
  `dbtRunner` in this process with the parsed manifest kept (never two invocations at once),
  with the hot tier of tests (the facts' keys on the last days) and one slice of the rest:
  CA_FULL_TESTS_EVERY consecutive builds run every test between them, a few each, so no
  build stalls the loop for the whole suite; the first build after a start and the admin
  refresh (which also reads the entities and checks for hard deletes) run every test;
* the facts find their changes past the last build's cursors, and the hard deletes by the
  ids the reconciliation removed; a build after a start, the admin refresh and every
  CA_FULL_TESTS_EVERY-th build compare every id instead;
* a successful build publishes itself (on-run-end) and the API moves to the new data
  version; a failed one leaves the API on the last published build, is reported by /readyz
  and the refresh endpoint, and its tables are built again by the next refresh;
* with live marts (on unless CA_LIVE_MARTS=false): the published builds read yesterday and
  today from refreshable views over staging (models/marts/core/fct_campaign_performance_
  live.sql), which a refresh re-runs right after each load that moved events, so a loaded
  event reaches the API in the same refresh; dbt then builds at most every
  CA_BUILD_EVERY_SECONDS (the dims, the days before, the tests), and the data version moves
  with every live refresh. On chDB the views' own schedule is stopped in this process: the
  loop refreshes them after each load, never in the middle of one.

The first refresh after a start builds everything the source feeds: a process killed
between a load and its build left rows in raw that no published build has.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from campaign_analytics.dbt_inprocess import DbtInProcess
from campaign_analytics.errors import one_line
from campaign_analytics.settings import Settings

log = logging.getLogger(__name__)

# hard-deleted event ids a build takes to find their chains (above: it compares every id)
DELETED_IDS_LIMIT = 10_000


@dataclass
class RefreshResult:
    status: str  # ok, failed
    started_at: dt.datetime
    seconds: float
    error: str | None = None
    steps: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # rows loaded per source table
    built: bool = False  # a dbt build ran (and published)
    full_tests: bool = False
    test_slice: str | None = None  # "k/n": the slice of every test a hot build ran
    deleted: dict[str, int] = field(default_factory=dict)  # rows hard-deleted per table
    # how fct_ad_events found its changes: "cursors" (the rows past the last build's
    # cursors) or "compare" (every id compared: after a start or a hard delete)
    change_detection: str | None = None
    live_refreshed: bool = False  # the live marts were refreshed after the load

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "steps": {k: round(v, 3) for k, v in self.steps.items()},
            "rows": self.rows,
            "built": self.built,
            "full_tests": self.full_tests,
            "test_slice": self.test_slice,
            "deleted": self.deleted,
            "change_detection": self.change_detection,
            "live_refreshed": self.live_refreshed,
        }


def iso_cursors(cursors: dict[str, Any]) -> dict[str, str] | None:
    """Cursor values as ISO strings; None when a table has none yet."""
    if any(value is None for value in cursors.values()):
        return None
    return {
        table: value.isoformat() if hasattr(value, "isoformat") else str(value)
        for table, value in cursors.items()
    }


def _one_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="refresh")


class Refresher:
    def __init__(self, settings: Settings) -> None:
        # live marts unless the settings turn them off
        self.settings = settings.with_overrides(live_marts=settings.live_marts is not False)
        self.live = bool(self.settings.live_marts)
        self.dbt = DbtInProcess(self.settings)
        self._warehouse: Any = None  # a ClickHouse client for the live refreshes
        self._lock = asyncio.Lock()
        self._thread_lock = threading.Lock()
        # every cycle on the same thread: dlt keeps a context per thread (the configuration
        # it resolved, its traces) and never drops one whose thread ended, so cycles on the
        # default executor's changing threads, or on a new event loop each (the soak bench),
        # left ~13 KB a cycle behind
        self._thread = _one_thread()
        self._loader: Any = None  # dlt_pipelines.live.WarmLoader, opened by the first cycle
        # source tables loaded but not yet in a published build: all of them at start
        from dlt_pipelines import load

        entities, self._event_tables = load.source_tables()
        self._unbuilt: set[str] = {*entities, *self._event_tables}
        # the events' cursors at the last published build: the next build reads the
        # changes past them (O(change)); None after a start (a killed process may have left
        # anything): that build compares every id instead
        self._built_cursors: dict[str, str] | None = None
        # event ids the reconciliation hard-deleted since the last published build: they
        # left no row past a cursor, so the next build is given them (or, beyond
        # DELETED_IDS_LIMIT, compares every id)
        self._deleted: dict[str, set[int]] = {}
        self._builds = 0
        self._built_at = 0.0  # time.monotonic() of the last build
        self._built_on: dt.date | None = None  # its day (UTC)
        # live refreshes so far: part of the data version (a new one changes the answers)
        self.live_version = 0
        self.last: RefreshResult | None = None
        self.running = False

    def _cycle(self, result: RefreshResult, *, everything: bool) -> None:
        from dlt_pipelines.live import WarmLoader

        with self._thread_lock:
            if self._loader is None:
                self._loader = WarmLoader(
                    self.settings, entities_every=self.settings.service.entities_every
                )
            cycle = self._loader.cycle(
                entities=True if everything else None, reconcile_now=everything
            )
            result.steps.update(cycle.steps)
            result.rows = dict(cycle.rows)
            self._unbuilt |= set(cycle.moved_tables)  # deletes included
            result.deleted = {table: len(ids) for table, ids in cycle.deletes.items() if ids}
            for table, ids in cycle.deletes.items():
                if ids and table in self._event_tables:  # an entity's: its dimension rebuilds
                    self._deleted.setdefault(table, set()).update(ids)
            if sum(map(len, self._deleted.values())) > DELETED_IDS_LIMIT:
                self._built_cursors = None
            if self.live and self._builds and set(cycle.moved_tables) & set(self._event_tables):
                started = time.perf_counter()
                try:
                    self._refresh_live()
                except Exception:
                    # e.g. the view was dropped: the next refresh builds as after a start,
                    # every model (the view made again) and every test, then refreshes again
                    self._builds = 0
                    raise
                result.steps["live_refresh"] = time.perf_counter() - started
                result.live_refreshed = True
                self.live_version += 1
            if not self._unbuilt or not (everything or self._build_due()):
                return
            every = self.settings.service.full_tests_every
            turn = self._builds % every
            result.full_tests = everything or self._builds == 0
            test_slice = None if result.full_tests else (turn, every)
            result.test_slice = f"{turn}/{every}" if test_slice else None
            cursors = iso_cursors(self._loader.event_cursors())
            # every CA_FULL_TESTS_EVERY builds one compares every id: whatever the cursors
            # cannot see (a delete by another loader of the same raw tables) is found then
            since = None if everything or turn == 0 else self._built_cursors
            result.change_detection = "cursors" if since else "compare"
            started = time.perf_counter()
            self.dbt.build_changed(
                sorted(self._unbuilt),
                full_tests=result.full_tests,
                events_changed_since=since,
                events_deleted={t: sorted(ids) for t, ids in self._deleted.items()},
                test_slice=test_slice,
            )
            result.steps["dbt_build"] = time.perf_counter() - started
            result.built = True
            self._builds += 1
            self._built_at = time.monotonic()
            self._built_on = dt.datetime.now(dt.UTC).date()
            if self.live and self.settings.target == "embedded":
                # the build (re)made the views, whose schedule then runs: see _refresh_live
                self._live_views(["stop"])
            self._unbuilt.clear()
            self._deleted.clear()
            self._built_cursors = cursors

    def _build_due(self) -> bool:
        """Whether this refresh builds what moved: always without live marts (a build is
        the only way to the API); with them after a start, every CA_BUILD_EVERY_SECONDS, and
        on a new day (UTC), when the day before yesterday leaves the live marts: the build's
        clone has it only as of that build."""
        if not self.live or not self._builds:
            return True
        if dt.datetime.now(dt.UTC).date() != self._built_on:
            return True
        return time.monotonic() - self._built_at >= self.settings.service.build_every_seconds

    def _refresh_live(self) -> None:
        """Re-run the live marts' refreshable views now and wait for them.

        On chDB their schedule runs only inside this call, never between loads: a refresh
        in the middle of a load would publish half of it, and an idle one costs CPU. A
        server keeps its schedule, which other readers of the views may rely on."""
        embedded = self.settings.target == "embedded"
        self._live_views(["start", "refresh", "wait", "stop"] if embedded else ["refresh", "wait"])

    def _live_views(self, statements: list[str]) -> None:
        """`system <statement> view` on each live view, in order."""
        from campaign_analytics import warehouse

        if self._warehouse is None:
            self._warehouse = warehouse.client(self.settings)
        for view in self.dbt.live_views():
            for statement in statements:
                self._warehouse.command(f"system {statement} view {view}")

    async def refresh(self, *, everything: bool = False) -> RefreshResult:
        """One refresh; a call while one runs waits for it and returns its result.

        ``everything``: the entities, the hard-delete check and every dbt test (the admin
        refresh); one asked for while an ordinary refresh runs waits for it, then runs."""
        if self._lock.locked() and not everything:
            async with self._lock:
                assert self.last is not None
                return self.last
        async with self._lock:
            self.running = True
            result = RefreshResult("ok", dt.datetime.now(dt.UTC), 0.0)
            started = time.perf_counter()
            try:
                await asyncio.get_running_loop().run_in_executor(
                    self._thread, functools.partial(self._cycle, result, everything=everything)
                )
            except Exception as error:  # the API keeps answering from the last good build
                log.warning("refresh failed: %s", one_line(error))
                result.status, result.error = "failed", one_line(error)[:500]
            finally:
                result.seconds = time.perf_counter() - started
                self.running = False
            self.last = result
            return result

    def close(self) -> None:
        """Release the pipeline (its lock and connections); waits for a running cycle."""
        with self._thread_lock:
            if self._warehouse is not None:
                self._warehouse.close()
                self._warehouse = None
            if self._loader is not None:
                self._loader.close()
                self._loader = None
        # its thread ends; a refresh after this starts another (the pool starts it on use)
        self._thread.shutdown(wait=False)
        self._thread = _one_thread()
