"""The insights API: `create_app(settings)` builds it; `campaign-analytics serve` runs it.

One process owns the embedded engines: the app holds chDB for its whole life (every other
open in the process reuses the running engine) and, unless told not to, refreshes the
warehouse itself every CA_REFRESH_EVERY_SECONDS (campaign_analytics/service/refresh.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import chdb_engine
from clickhouse_connect.driver.exceptions import DatabaseError
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from campaign_analytics import engine_owner
from campaign_analytics.metrics.compiler import QueryError
from campaign_analytics.service.limiting import LimitedError
from campaign_analytics.service.observability import MetricsMiddleware
from campaign_analytics.service.routers import ask, catalog, insights, operations, query
from campaign_analytics.service.state import NotReadyError, ServiceState
from campaign_analytics.service.warehouse import QueryTimeoutError
from campaign_analytics.settings import Settings

log = logging.getLogger(__name__)


async def _refresh_loop(service: ServiceState) -> None:
    """A refresh every --refresh-every seconds, start to start (at once when one overran)."""
    assert service.refresher is not None
    every = service.settings.service.refresh_every_seconds
    loop = asyncio.get_running_loop()
    due = loop.time() + every
    while True:
        await asyncio.sleep(max(0.0, due - loop.time()))
        due = max(due + every, loop.time())
        result = await service.refresher.refresh()
        service.metrics.record_refresh(result)
        with contextlib.suppress(Exception):
            await service.sync_version()


def create_app(
    settings: Settings, *, refresh: bool = False, owner_url: str | None = None
) -> FastAPI:
    """The API on ``settings``; ``refresh``: refresh the warehouse in this process;
    ``owner_url``: say in the data directory that this server owns its engines."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if owner_url:
                engine_owner.claim(settings, owner_url, refreshes=refresh)
                stack.callback(engine_owner.release, settings)
            if settings.target == "embedded":
                stack.enter_context(
                    chdb_engine.held(settings.chdb_path, settings.lock_wait_seconds)
                )
            service = ServiceState.create(settings, refresh=refresh)
            stack.push_async_callback(service.close)
            app.state.service = service
            try:
                await service.sync_version()
            except Exception as error:  # start anyway: /readyz says what is missing
                log.warning("no data version yet: %s", error)
            tasks = [asyncio.create_task(service.poll_version())]
            if service.refresher is not None:
                tasks.append(asyncio.create_task(_refresh_loop(service)))
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    app = FastAPI(
        title="Campaign Analytics insights API",
        version="1.0",
        description=(
            "KPIs of the published dbt build, per advertiser: every request needs "
            "`Authorization: Bearer <API key or JWT>`, and the token decides the advertiser. "
            "Dates are UTC days, both ends included."
        ),
        lifespan=lifespan,
    )
    for router in (insights.router, query.router, ask.router, catalog.router, operations.router):
        app.include_router(router)
    app.add_middleware(_LazyMetricsMiddleware)
    _handlers(app)
    return app


class _LazyMetricsMiddleware:
    """MetricsMiddleware once the lifespan has built the registry (it lives on the state)."""

    def __init__(self, app: object) -> None:
        self.app = app
        self.inner: MetricsMiddleware | None = None

    async def __call__(self, scope: dict, receive: object, send: object) -> None:
        service = getattr(getattr(scope.get("app"), "state", None), "service", None)
        if scope["type"] != "http" or service is None:
            await self.app(scope, receive, send)  # type: ignore[operator]
            return
        if self.inner is None:
            self.inner = MetricsMiddleware(self.app, service.metrics)  # type: ignore[arg-type]
        await self.inner(scope, receive, send)  # type: ignore[arg-type]


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(QueryError)
    async def unknown_name(request: Request, error: QueryError) -> JSONResponse:
        return JSONResponse({"detail": str(error), "location": error.location}, status_code=422)

    @app.exception_handler(NotReadyError)
    async def not_ready(request: Request, error: NotReadyError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(QueryTimeoutError)
    async def timeout(request: Request, error: QueryTimeoutError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=504)

    @app.exception_handler(LimitedError)
    async def limited(request: Request, error: LimitedError) -> JSONResponse:
        request.app.state.service.metrics.rejections.labels("concurrency").inc()
        return JSONResponse(
            {"detail": str(error)}, status_code=429, headers={"Retry-After": str(error.retry_after)}
        )

    @app.exception_handler(DatabaseError)
    async def database(request: Request, error: DatabaseError) -> JSONResponse:
        if "TIMEOUT_EXCEEDED" in str(error):
            return JSONResponse({"detail": "the query ran past the timeout"}, status_code=504)
        log.error("query failed: %s", error)
        return JSONResponse({"detail": "the warehouse could not answer"}, status_code=503)
