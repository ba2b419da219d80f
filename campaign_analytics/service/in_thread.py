"""The API on a free port in a thread of this process: for tests and benchmarks that must
share this process's embedded engine (chDB allows one process per data directory)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from campaign_analytics.service.app import create_app
from campaign_analytics.settings import Settings

SHUTDOWN_SECONDS = 180


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveApi:
    url: str
    app: FastAPI
    settings: Settings

    @property
    def service(self) -> Any:
        return self.app.state.service

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


@contextlib.contextmanager
def serving(settings: Settings, *, refresh: bool = False) -> Iterator[LiveApi]:
    app = create_app(settings, refresh=refresh)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            # a request still running at shutdown is cancelled after this, not waited for
            timeout_graceful_shutdown=10,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API did not start")
        time.sleep(0.05)
    try:
        yield LiveApi(f"http://127.0.0.1:{port}", app, settings)
    finally:
        server.should_exit = True
        # Wait for the whole shutdown: it finishes a running refresh, then closes the engine.
        # Returning earlier would leave this process holding chDB on a path the caller
        # believes released (the next user of another path then fails to open its own).
        thread.join(timeout=SHUTDOWN_SECONDS)
        if thread.is_alive():
            raise RuntimeError(f"the API did not shut down within {SHUTDOWN_SECONDS} s")
