"""Realistic ad-platform data for the source PostgreSQL (the ``seed-generator`` CLI).

Python API (every function takes an open psycopg connection; call
:func:`apply_migrations` once first; each call runs in one transaction, a savepoint if
the caller already has one open; bad arguments raise :class:`SeedUsageError` before
anything is written)::

    apply_migrations(conn) -> list[str]
        Apply pending migrations/V<n>__*.sql in order; returns the file names applied now.

    generate_batch(conn, *, advertisers=5, campaigns=20, impressions=20_000, ctr=0.02,
                   cvr=0.05, days=30, seed=None, today=None, audiences=12,
                   trusted=True) -> dict[str, int]
        A whole data set; returns rows inserted per table. Same seed + today on an empty
        database -> identical rows (except created_at/updated_at). trusted=True skips the
        per-row FK triggers during the bulk load when the role may (see storage.py).

    add_advertisers(conn, *, count, seed=None) -> list[int]
    add_campaigns(conn, *, advertiser_id, count, seed=None, today=None, days=30) -> list[int]
    add_impressions(conn, *, campaign_id, count, seed=None, today=None) -> int
    add_clicks(conn, *, campaign_id, ratio, seed=None, today=None) -> int
    add_conversions(conn, *, campaign_id, ratio, seed=None, today=None) -> int

    mutate(conn, *, seed=None, today=None, updates=5, late_impressions=50, late_clicks=10,
           soft_delete_campaigns=2, soft_delete_audiences=1, soft_delete_advertisers=1,
           hard_deletes=5, hard_delete_campaign_channels=1, corrections=10) -> dict[str, int]
        Updates, late-arriving events, soft and hard deletes, corrections; returns counts.

    stream(conn, *, rate, duration=None, interval=2.0, seed=None, ctr=0.02, cvr=0.05,
           stop=None, on_tick=None) -> dict[str, int]
    table_stats(conn) -> Stats
    reset(conn) -> None   (truncates every source table, restarts identities)

``today`` (a ``datetime.date``) is the simulated present: flights and statuses are
relative to it and no event is later than its midnight (UTC). The default is the real
date (and, for add_clicks/add_conversions, the wall clock as "now"), so pass it (and
``seed``) for reproducible data. Results are reproducible for one chunk size: keep the
default ``chunk_rows``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seed_generator.batch import generate_batch
    from seed_generator.changes import mutate
    from seed_generator.errors import SeedRuntimeError, SeedUsageError
    from seed_generator.incremental import (
        add_advertisers,
        add_campaigns,
        add_clicks,
        add_conversions,
        add_impressions,
    )
    from seed_generator.migrations import apply_migrations
    from seed_generator.stats import Stats, table_stats
    from seed_generator.storage import reset
    from seed_generator.streaming import stream

# Imported on first use: numpy and Faker take seconds to import, and the pipeline only
# needs apply_migrations.
_EXPORTS = {
    "SeedRuntimeError": "seed_generator.errors",
    "SeedUsageError": "seed_generator.errors",
    "Stats": "seed_generator.stats",
    "add_advertisers": "seed_generator.incremental",
    "add_campaigns": "seed_generator.incremental",
    "add_clicks": "seed_generator.incremental",
    "add_conversions": "seed_generator.incremental",
    "add_impressions": "seed_generator.incremental",
    "apply_migrations": "seed_generator.migrations",
    "generate_batch": "seed_generator.batch",
    "mutate": "seed_generator.changes",
    "reset": "seed_generator.storage",
    "stream": "seed_generator.streaming",
    "table_stats": "seed_generator.stats",
}
__all__ = [
    "SeedRuntimeError",
    "SeedUsageError",
    "Stats",
    "add_advertisers",
    "add_campaigns",
    "add_clicks",
    "add_conversions",
    "add_impressions",
    "apply_migrations",
    "generate_batch",
    "mutate",
    "reset",
    "stream",
    "table_stats",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'seed_generator' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
