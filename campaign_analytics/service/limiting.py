"""Rate limits per token and concurrent queries per tenant: 429 with Retry-After.

ClickHouse's cost follows the queries in flight, so besides requests per token (a sliding
window counter from the `limits` library, O(1) per request, in memory or in Redis with
REDIS_URL) each tenant may run
only so many queries at once (Snuba's concurrency limit). Both fail open when Redis errors:
the limiter must not take the API down.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from limits import parse_many
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

log = logging.getLogger(__name__)


class LimitedError(Exception):
    """Over a limit: answer 429, retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


class RateLimiter:
    def __init__(self, rate: str, redis_url: str | None = None) -> None:
        self.rates = parse_many(rate)
        storage = (
            storage_from_string(f"async+{redis_url}", implementation="redispy")
            if redis_url
            else storage_from_string("async+memory://")
        )
        self.limiter = SlidingWindowCounterRateLimiter(storage)
        self.rejected = 0

    async def hit(self, identity: str) -> None:
        for rate in self.rates:
            try:
                allowed = await self.limiter.hit(rate, "ca", identity)
                if allowed:
                    continue
                reset, _ = await self.limiter.get_window_stats(rate, "ca", identity)
            except Exception as error:  # storage down: let the request through
                log.warning("rate limiter storage unavailable: %s", error)
                return
            self.rejected += 1
            raise LimitedError(f"rate limit {rate} exceeded", math.ceil(reset - time.time()))


class TenantConcurrency:
    """At most ``limit`` queries in flight per tenant (in this process)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.running: defaultdict[int | None, int] = defaultdict(int)
        self.rejected = 0

    @asynccontextmanager
    async def slot(self, tenant: int | None) -> AsyncIterator[None]:
        if self.running[tenant] >= self.limit:
            self.rejected += 1
            raise LimitedError(f"more than {self.limit} queries running for this advertiser", 1)
        self.running[tenant] += 1
        try:
            yield
        finally:
            self.running[tenant] -= 1
            await asyncio.sleep(0)
