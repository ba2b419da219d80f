"""Seed generator throughput: event rows per second into a fresh database, and peak RSS.

    uv run python bench/bench_seed.py                      # 1 M impressions
    uv run python bench/bench_seed.py --impressions 10000000
    uv run python bench/bench_seed.py --fk-triggers        # per-row FK checks, for comparison

Uses the configured source server (POSTGRES_DSN, else the embedded one), creates a throwaway
database there and drops it afterwards. Also times generation and encoding alone, without
PostgreSQL, to show which side is the bottleneck.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import time
import uuid
from pathlib import Path

import numpy as np
import psycopg
from psycopg import sql

from campaign_analytics.postgres import source_dsn
from campaign_analytics.settings import get_settings
from seed_generator import apply_migrations, catalog, entities, events, generate_batch, schedule
from seed_generator import batch as batch_module

TODAY = dt.date(2025, 3, 1)
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _with_database(dsn: str, database: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    info["dbname"] = database
    return psycopg.conninfo.make_conninfo(**info)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def client_only(args: argparse.Namespace) -> float:
    """Rows/s of scheduling, simulating and encoding impressions, with no database at all."""
    rng = np.random.default_rng(args.seed)
    channels = {name: i + 1 for i, name in enumerate(c.name for c in catalog.CHANNELS)}
    advertisers = entities.new_advertisers(entities.make_faker(1), rng, 1, args.advertisers)
    owners = np.sort(rng.integers(0, args.advertisers, args.campaigns))
    campaigns = entities.new_campaigns(
        entities.make_faker(1), rng, 1, advertisers, owners, channels, TODAY, args.days
    )
    campaigns = entities.ensure_deliverable(campaigns, TODAY)
    plan = batch_module._Plan(
        rng, campaigns, list(range(1, 13)), TODAY, args.days, args.impressions, 0.02, 0.05
    )
    assert plan.funnel is not None and plan.lines is not None
    horizon = schedule.midnight_us(TODAY)
    started = time.perf_counter()
    times = schedule.served_times(
        rng, plan.weights, plan.day0, args.impressions, batch_module.CHUNK_ROWS
    )
    for line, served_at in times:
        block = events.simulate(rng, plan.funnel, line, served_at, horizon)
        events.encode_impressions(plan.lines, block, 1)
    return args.impressions / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impressions", type=int, default=1_000_000)
    parser.add_argument("--advertisers", type=int, default=10)
    parser.add_argument("--campaigns", type=int, default=50)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--fk-triggers", action="store_true", help="check every row with the FK triggers"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--skip-client-only", action="store_true")
    args = parser.parse_args()

    admin = _with_database(source_dsn(get_settings()), "postgres")
    database = f"bench_seed_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(database)))
    try:
        with psycopg.connect(_with_database(admin, database)) as conn:
            apply_migrations(conn)
            version = conn.execute("show server_version").fetchone()
            started = time.perf_counter()
            counts = generate_batch(
                conn,
                advertisers=args.advertisers,
                campaigns=args.campaigns,
                impressions=args.impressions,
                days=args.days,
                seed=args.seed,
                today=TODAY,
                trusted=not args.fk_triggers,
            )
            elapsed = time.perf_counter() - started
    finally:
        if not args.keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("drop database if exists {} with (force)").format(
                        sql.Identifier(database)
                    )
                )
    event_rows = counts["impressions"] + counts["clicks"] + counts["conversions"]
    result = {
        "impressions": counts["impressions"],
        "clicks": counts["clicks"],
        "conversions": counts["conversions"],
        "seconds": round(elapsed, 2),
        "event_rows_per_second": round(event_rows / elapsed),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "fk_triggers": args.fk_triggers,
        "postgres": version[0] if version else "?",
        "cpus": os.cpu_count(),
    }
    if not args.skip_client_only:
        result["client_only_rows_per_second"] = round(client_only(args))
    print(json.dumps(result, indent=2))
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    (RESULTS_DIR / f"seed_{args.impressions}_{stamp}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
