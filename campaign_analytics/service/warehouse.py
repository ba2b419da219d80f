"""ClickHouse for the API: a client per worker thread, a bounded pool, and timeouts.

Queries run in threads (clickhouse-connect is synchronous), at most ``max_queries`` at once.
On the embedded target every thread's client is chDB in this process (the process holds the
engine for its whole life); on the server target it is HTTP, as a read-only user when one is
configured, without session ids so concurrent queries never meet "session is locked".
A query is bounded on both sides: ClickHouse's max_execution_time stops it in the engine, and
the caller stops waiting a second later (504).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import clickhouse_connect

from campaign_analytics.settings import Settings

T = TypeVar("T")


class QueryTimeoutError(Exception):
    """A query ran past the timeout: 504."""


class Warehouse:
    def __init__(self, settings: Settings, max_queries: int = 8) -> None:
        self.settings = settings
        self.timeout = settings.service.query_timeout_seconds
        self._local = threading.local()
        self._clients: list[Any] = []
        self._clients_lock = threading.Lock()
        self._limiter = anyio.CapacityLimiter(max_queries)

    def _client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._connect()
            self._local.client = client
            with self._clients_lock:
                self._clients.append(client)
        return client

    def _connect(self) -> Any:
        settings, timeout = self.settings, self.timeout
        query_settings = {"max_execution_time": timeout, "timeout_overflow_mode": "throw"}
        if settings.target == "embedded":
            return clickhouse_connect.get_client(
                interface="chdb",
                path=str(settings.chdb_path),
                database=settings.analytics_database,
                settings=query_settings,
            )
        server, service = settings.clickhouse, settings.service
        return clickhouse_connect.get_client(
            host=server.host,
            port=server.http_port,
            username=service.reader_user or server.user,
            password=service.reader_password if service.reader_user else server.password,
            secure=server.secure,
            database=settings.analytics_database,
            autogenerate_session_id=False,
            connect_timeout=5,
            send_receive_timeout=int(timeout) + 5,
            settings=query_settings,
        )

    async def run(self, work: Callable[[Any], T]) -> T:
        """``work(client)`` in a worker thread, bounded by the query timeout (the engine's
        max_execution_time ends the query; the caller gives up a second later)."""

        def call() -> T:
            return work(self._client())

        try:
            return await asyncio.wait_for(
                anyio.to_thread.run_sync(call, limiter=self._limiter, abandon_on_cancel=True),
                self.timeout + 1,
            )
        except TimeoutError:
            raise QueryTimeoutError(f"the query ran past {self.timeout:g}s") from None

    def close(self) -> None:
        with self._clients_lock:
            for client in self._clients:
                client.close()
            self._clients.clear()
