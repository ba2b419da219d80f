"""Answers cached by tenant, normalized query and data version, with single-flight misses.

The data version is the published dbt build (campaign_analytics/published.py): a new build
changes every key, so nothing computed before it is served after it, and nothing needs to be
invalidated. Concurrent misses for one key run one query: the first caller computes, the
others await its future (Snuba's single-flight, in process). With REDIS_URL set the answers
live in Redis, shared by every replica, and a short Redis lock keeps replicas from computing
the same key at once; without it, an in-process TTL cache.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from cachetools import TTLCache

log = logging.getLogger(__name__)


def cache_key(kind: str, tenant: int | None, version: str, payload: Any) -> str:
    body = json.dumps(
        {"kind": kind, "tenant": tenant, "version": version, "payload": payload},
        sort_keys=True,
        default=str,
    )
    return "ca:answer:" + hashlib.sha256(body.encode()).hexdigest()


class AnswerCache:
    """get_or_compute(key, compute) -> (value, hit). Values must be JSON-serializable."""

    def __init__(self, ttl_seconds: float, redis_url: str | None = None) -> None:
        self.ttl = ttl_seconds
        self._local: TTLCache[str, Any] = TTLCache(maxsize=20_000, ttl=ttl_seconds)
        self._flights: dict[str, asyncio.Future[Any]] = {}
        self.redis = None
        if redis_url:
            import redis.asyncio as aioredis

            self.redis = aioredis.from_url(redis_url, socket_timeout=1.0)

    @property
    def backend(self) -> str:
        return "redis" if self.redis is not None else "memory"

    async def get_or_compute(
        self, key: str, compute: Callable[[], Awaitable[Any]]
    ) -> tuple[Any, bool]:
        cached = await self._get(key)
        if cached is not None:
            return cached, True
        flight = self._flights.get(key)
        if flight is not None:
            return await asyncio.shield(flight), True
        flight = asyncio.get_running_loop().create_future()
        self._flights[key] = flight
        try:
            value = await self._compute_once(key, compute)
            flight.set_result(value)
            return value, False
        except BaseException as error:
            flight.set_exception(error)
            flight.exception()  # retrieved: waiters re-raise it, no "never retrieved" noise
            raise
        finally:
            del self._flights[key]

    async def _compute_once(self, key: str, compute: Callable[[], Awaitable[Any]]) -> Any:
        lock = None
        if self.redis is not None:
            lock = await self._redis_lock(key)
            if lock is None:  # another replica computed it while we waited
                cached = await self._get(key)
                if cached is not None:
                    return cached
        try:
            value = await compute()
            await self._set(key, value)
            return value
        finally:
            if lock is not None:
                await self._redis_call(self.redis.delete(lock))

    async def _redis_lock(self, key: str, wait_seconds: float = 10.0) -> str | None:
        """Take `key`'s compute lock; None when another replica's answer appeared first."""
        lock = f"{key}:lock"
        deadline = asyncio.get_running_loop().time() + wait_seconds
        while True:
            taken = await self._redis_call(self.redis.set(lock, "1", nx=True, px=30_000))
            if taken or taken is None:  # None: Redis is down, compute here (fail open)
                return lock if taken else None
            if await self._get(key) is not None:
                return None
            if asyncio.get_running_loop().time() > deadline:
                return lock  # the other replica is stuck: compute anyway
            await asyncio.sleep(0.02)

    async def _get(self, key: str) -> Any:
        if self.redis is None:
            return self._local.get(key)
        raw = await self._redis_call(self.redis.get(key))
        return json.loads(raw) if raw else None

    async def _set(self, key: str, value: Any) -> None:
        if self.redis is None:
            self._local[key] = value
            return
        await self._redis_call(self.redis.set(key, json.dumps(value), px=int(self.ttl * 1000)))

    async def _redis_call(self, call: Awaitable[Any]) -> Any:
        # the cache must never take the API down: a Redis error is a miss
        try:
            return await call
        except Exception as error:  # redis.RedisError, OSError, timeouts
            log.warning("redis unavailable, answering uncached: %s", error)
            return None

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
