"""What the API process holds: the warehouse, the catalog, the data version, cache, limits.

The data version is the published dbt build readers see, and with live marts the live
refresh (`<build>+live<n>`): their days change with each refresh, between builds. A
background task polls the build (one tiny query every CA_VERSION_POLL_SECONDS) and a
refresh done in this process sets both at once; every cached answer is keyed by it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import psycopg

from campaign_analytics import postgres
from campaign_analytics import published as published_builds
from campaign_analytics.errors import UserFacingError
from campaign_analytics.metrics.campaigns import CampaignInfo, list_campaigns, list_platforms
from campaign_analytics.metrics.catalog import Catalog
from campaign_analytics.metrics.compiler import compile_query
from campaign_analytics.metrics.executor import QueryResult, execute, jsonable
from campaign_analytics.metrics.query import MetricQuery
from campaign_analytics.service.auth import Verifier
from campaign_analytics.service.cache import AnswerCache, cache_key
from campaign_analytics.service.limiting import RateLimiter, TenantConcurrency
from campaign_analytics.service.observability import Metrics
from campaign_analytics.service.refresh import Refresher
from campaign_analytics.service.warehouse import Warehouse
from campaign_analytics.settings import Settings

log = logging.getLogger(__name__)


class NotReadyError(UserFacingError):
    """No published build yet (or the catalog is missing): 503."""


@dataclass
class Answer:
    rows: list[dict[str, Any]]
    columns: list[str]
    cache: str  # hit, miss
    elapsed_ms: float
    rows_read: int


@dataclass
class ServiceState:
    settings: Settings
    warehouse: Warehouse
    verifier: Verifier
    cache: AnswerCache
    rate_limiter: RateLimiter
    concurrency: TenantConcurrency
    refresher: Refresher | None
    metrics: Metrics = field(init=False)
    catalog: Catalog | None = None
    published: published_builds.Published | None = None
    queries_run: int = 0  # metric queries sent to ClickHouse (cache misses that computed)
    _catalog_mtime: float = 0.0

    def __post_init__(self) -> None:
        self.metrics = Metrics(self.data_version_age)

    @classmethod
    def create(cls, settings: Settings, *, refresh: bool) -> ServiceState:
        service = settings.service
        dsn = postgres.source_dsn(settings)

        def connect() -> psycopg.Connection:
            return psycopg.connect(dsn, connect_timeout=5)

        return cls(
            settings=settings,
            warehouse=Warehouse(settings),
            verifier=Verifier(service, connect),
            cache=AnswerCache(service.cache_ttl_seconds, service.redis_url),
            rate_limiter=RateLimiter(service.rate_limit, service.redis_url),
            concurrency=TenantConcurrency(service.tenant_concurrency),
            refresher=Refresher(settings) if refresh else None,
        )

    # -- the data version -------------------------------------------------------------------

    @property
    def data_version(self) -> str | None:
        if self.published is None:
            return None
        build = self.published.build.invocation_id
        live = self.refresher.live_version if self.refresher is not None else 0
        return f"{build}+live{live}" if live else build

    def data_version_age(self) -> float:
        if self.published is None:
            return float("nan")
        return (
            dt.datetime.now(dt.UTC) - self.published.build.finished_at.replace(tzinfo=dt.UTC)
        ).total_seconds()

    async def sync_version(self) -> None:
        """Read the newest published build (and the catalog when dbt rewrote the manifest)."""
        manifest = self.settings.dbt_target_path / "manifest.json"
        mtime = manifest.stat().st_mtime if manifest.exists() else 0.0
        if mtime and mtime != self._catalog_mtime:
            try:
                self.catalog = Catalog.load(manifest)
                self._catalog_mtime = mtime
            except ValueError as error:  # dbt is writing it now: keep ours, read it next time
                log.info("the dbt manifest is being written (%s); keeping the catalog", error)
        try:
            self.published = await self.warehouse.run(
                lambda db: published_builds.current(db, self.settings)
            )
        except published_builds.NoPublishedBuildError:
            self.published = None

    async def poll_version(self) -> None:
        while True:
            await asyncio.sleep(self.settings.service.version_poll_seconds)
            try:
                await self.sync_version()
            except Exception as error:  # keep serving the version we have
                log.warning("could not read the data version: %s", error)

    def ready(self) -> tuple[Catalog, published_builds.Published]:
        if self.catalog is None:
            raise NotReadyError("no metric catalog (dbt manifest) yet; run `make transform`")
        if self.published is None:
            raise NotReadyError("no published dbt build yet; run `make transform` or a refresh")
        return self.catalog, self.published

    # -- answers ---------------------------------------------------------------------------

    async def answer(self, query: MetricQuery, tenant: int | None) -> tuple[MetricQuery, Answer]:
        """``query`` for ``tenant`` on the current data version, from the cache when it can."""
        catalog, published = self.ready()
        normalized = query.normalized()
        compiled = compile_query(normalized, catalog, published.build.database, tenant)
        key = cache_key("rows", tenant, self.data_version or "", normalized.model_dump(mode="json"))

        async def compute() -> dict[str, Any]:
            async with self.concurrency.slot(tenant):
                self.queries_run += 1
                result: QueryResult = await self.warehouse.run(lambda db: execute(db, compiled))
            return {
                "columns": result.columns,
                "rows": [{k: jsonable(v) for k, v in row.items()} for row in result.rows],
                "elapsed_ms": result.elapsed_ms,
                "rows_read": result.rows_read,
            }

        value, hit = await self.cache.get_or_compute(key, compute)
        self.metrics.cache.labels("hit" if hit else "miss").inc()
        return normalized, Answer(
            rows=value["rows"],
            columns=value["columns"],
            cache="hit" if hit else "miss",
            elapsed_ms=value["elapsed_ms"],
            rows_read=value["rows_read"],
        )

    async def respond(
        self,
        kind: str,
        tenant: int | None,
        payload: Any,
        compute: Callable[[], Awaitable[tuple[bytes, float, int]]],
    ) -> bytes:
        """A whole JSON response, cached by route, tenant, request and data version.

        ``compute`` returns the response body without its `meta` (a JSON object), the time
        ClickHouse took and the rows it read. A hit costs a key, a lookup and the splice of
        a fresh `meta` (data version, hit or miss) into the stored body: no query, no
        compilation, no serialization of the rows again.
        """
        _, published = self.ready()
        build, version = published.build, self.data_version or ""
        key = cache_key(kind, tenant, version, payload)

        async def fill() -> dict[str, Any]:
            body, elapsed_ms, rows_read = await compute()
            return {"body": body.decode(), "elapsed_ms": elapsed_ms, "rows_read": rows_read}

        value, hit = await self.cache.get_or_compute(key, fill)
        self.metrics.cache.labels("hit" if hit else "miss").inc()
        meta = {
            "data_version": version,
            "data_published_at": build.finished_at.isoformat(),
            "cache": "hit" if hit else "miss",
            "elapsed_ms": 0.0 if hit else round(value["elapsed_ms"], 3),
            "rows_read": value["rows_read"],
        }
        body: str = value["body"]
        return f'{body[:-1]},"meta":{orjson.dumps(meta).decode()}}}'.encode()

    async def campaigns(self, tenant: int) -> list[CampaignInfo]:
        _, published = self.ready()
        key = cache_key("campaigns", tenant, published.build.invocation_id, None)

        async def compute() -> list[dict[str, Any]]:
            found = await self.warehouse.run(
                lambda db: list_campaigns(db, published.build.database, tenant)
            )
            return [c.as_json() for c in found]

        value, _ = await self.cache.get_or_compute(key, compute)
        return [CampaignInfo.from_json(c) for c in value]

    async def platforms(self) -> list[str]:
        """Every platform (channel) name of the published build."""
        _, published = self.ready()
        key = cache_key("platforms", None, published.build.invocation_id, None)

        async def compute() -> list[str]:
            return await self.warehouse.run(lambda db: list_platforms(db, published.build.database))

        value, _ = await self.cache.get_or_compute(key, compute)
        return list(value)

    async def close(self) -> None:
        try:  # a Redis connection a cancelled request still holds must not stall the shutdown
            await asyncio.wait_for(self.cache.close(), 5)
        except (TimeoutError, OSError) as error:
            log.warning("could not close the cache cleanly: %r", error)
        if self.refresher is not None:
            await asyncio.to_thread(self.refresher.close)
        self.warehouse.close()
