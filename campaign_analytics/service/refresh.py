"""The warehouse refreshed inside `serve`: the dlt load, then `dbt build`, then publish.

On the embedded target `serve` is the only process that may open chDB, so it loads and
builds itself, one refresh at a time: the dlt pipeline in a worker thread, then dbt through
`dbtRunner` in the same process (never two invocations at once; the parsed manifest is kept
and reused until a project file changes). A successful build publishes itself (on-run-end),
and the API moves to the new data version; a failed one leaves the API on the last
published build and is reported by /readyz and the refresh endpoint.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from campaign_analytics.dbt_inprocess import DbtInProcess
from campaign_analytics.errors import one_line
from campaign_analytics.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class RefreshResult:
    status: str  # ok, failed
    started_at: dt.datetime
    seconds: float
    error: str | None = None
    steps: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "steps": {k: round(v, 3) for k, v in self.steps.items()},
        }


class Refresher:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dbt = DbtInProcess(settings)
        self._lock = asyncio.Lock()
        self._thread_lock = threading.Lock()
        self.last: RefreshResult | None = None
        self.running = False

    def _refresh(self) -> dict[str, float]:
        from dlt_pipelines.run import run_and_report

        with self._thread_lock:
            steps = {}
            started = time.perf_counter()
            with Path(os.devnull).open("w") as nowhere:
                run_and_report(
                    self.settings,
                    full_refresh=False,
                    console=Console(file=nowhere),
                    warn_only=True,  # the source is live: its newest rows come next cycle
                )
            steps["load"] = time.perf_counter() - started
            started = time.perf_counter()
            self.dbt.build("--exclude-resource-type", "unit_test")
            steps["dbt_build"] = time.perf_counter() - started
            return steps

    async def refresh(self) -> RefreshResult:
        """One refresh; a call while one runs waits for it and returns its result."""
        if self._lock.locked():
            async with self._lock:
                assert self.last is not None
                return self.last
        async with self._lock:
            self.running = True
            started_at, started = dt.datetime.now(dt.UTC), time.perf_counter()
            try:
                steps = await asyncio.to_thread(self._refresh)
                self.last = RefreshResult(
                    "ok", started_at, time.perf_counter() - started, steps=steps
                )
            except Exception as error:  # the API keeps answering from the last good build
                log.warning("refresh failed: %s", one_line(error))
                self.last = RefreshResult(
                    "failed", started_at, time.perf_counter() - started, error=one_line(error)[:500]
                )
            finally:
                self.running = False
            return self.last
