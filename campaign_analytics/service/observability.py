"""Prometheus metrics of the API, on a registry of the app's own (GET /metrics)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from campaign_analytics.service.refresh import RefreshResult


class Metrics:
    def __init__(self, data_version_age: Callable[[], float]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ca_http_requests",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "ca_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["route", "method"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
            registry=self.registry,
        )
        self.cache = Counter(
            "ca_cache_requests", "Answer cache lookups", ["result"], registry=self.registry
        )
        self.rejections = Counter(
            "ca_limiter_rejections",
            "Requests answered 429, by limit (rate, concurrency)",
            ["limit"],
            registry=self.registry,
        )
        self.refreshes = Counter(
            "ca_refreshes", "In-process warehouse refreshes", ["status"], registry=self.registry
        )
        self.refresh_steps = Histogram(
            "ca_refresh_step_duration_seconds",
            "Seconds per step of an in-process refresh (extract, normalize, load, dbt_build)",
            ["step"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
            registry=self.registry,
        )
        self.rows_loaded = Counter(
            "ca_refresh_rows_loaded",
            "Rows loaded by refreshes, by source table",
            ["table"],
            registry=self.registry,
        )
        # process_resident_memory_bytes and friends: a live loop must not grow
        ProcessCollector(registry=self.registry)
        age = Gauge(
            "ca_data_version_age_seconds",
            "Seconds since the published dbt build the API answers from was published",
            registry=self.registry,
        )
        age.set_function(data_version_age)

    def record_refresh(self, result: RefreshResult) -> None:
        self.refreshes.labels(result.status).inc()
        for step, seconds in result.steps.items():
            self.refresh_steps.labels(step).observe(seconds)
        for table, rows in result.rows.items():
            self.rows_loaded.labels(table).inc(rows)


class MetricsMiddleware:
    """Counts and times every request by its route template (not its raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            method = scope.get("method", "")
            self.metrics.requests.labels(template, method, str(status["code"])).inc()
            self.metrics.latency.labels(template, method).observe(time.perf_counter() - started)
