"""Memory of the live refresh over many cycles: `serve`'s refresher, in this process.

    uv run python bench/bench_soak.py [--cycles 1000] [--events 30] [--impressions 50000]

1. generate a source (campaigns running today), `campaign-analytics load` and `dbt build`
2. run the refresher that `serve --refresh-every` runs (warm dlt cycle, the live marts'
   refresh, hot dbt build, publish) back to back for --cycles cycles; before each, --events
   new events are committed to PostgreSQL, and CA_BUILD_EVERY_SECONDS=0, so every cycle
   loads, refreshes the live marts, builds and publishes
3. resident memory (RSS) of this process after the first --warmup cycles and every
   --every cycles after, chDB's own tracked memory, and the seconds per cycle

Growth is measured from the end of the warm-up (the first builds fill caches: dbt's
manifest, chDB's marks and query caches) to the last cycle. Prints the numbers and writes
them to bench/results/bench_soak.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ["TZ"] = "UTC"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from rich.console import Console

from bench.bench_dbt import source_database
from bench.bench_realtime import rss_mb
from campaign_analytics import postgres
from campaign_analytics.service.refresh import Refresher
from campaign_analytics.settings import load_settings
from seed_generator import generate_batch
from seed_generator.migrations import apply_migrations
from tests.pipeline import clickhouse_rows, dbt, load

RESULTS = Path(__file__).resolve().parent / "results" / "bench_soak.json"

# a few impressions of running campaigns, stamped now: every cycle has something to load
NEW_EVENTS = """
insert into impressions (campaign_id, channel_id, audience_id, user_id, served_at, cost)
select campaign_id, channel_id, audience_id, user_id, now(), cost
from impressions order by id desc limit %(events)s
"""


def tracked_mb(settings: Any) -> float:
    """chDB's own tracked memory (its MemoryTracking metric)."""
    rows = clickhouse_rows(
        settings, "select value from system.metrics where metric = 'MemoryTracking'"
    )
    return rows[0][0] / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--events", type=int, default=30, help="new impressions per cycle")
    parser.add_argument("--impressions", type=int, default=50_000, help="initial source size")
    parser.add_argument("--warmup", type=int, default=20, help="cycles before the baseline")
    parser.add_argument("--every", type=int, default=50, help="cycles between samples")
    parser.add_argument("--postgres-dsn", help="a PostgreSQL server for the source database")
    args = parser.parse_args()
    console = Console()

    workdir = Path(tempfile.mkdtemp(prefix="bench_soak_"))
    source, drop_source = source_database(args.postgres_dsn)
    settings = load_settings(
        {
            "CA_DATA_DIR": str(workdir),
            "CHDB_PATH": str(workdir / "chdb"),
            "CA_BUILD_EVERY_SECONDS": "0",  # a build every cycle too (see 2.)
            **source,
        }
    )
    dsn = postgres.source_dsn(settings)
    pid = os.getpid()
    results: dict[str, Any] = {"cycles": args.cycles, "events_per_cycle": args.events}
    try:
        with psycopg.connect(dsn) as conn:
            apply_migrations(conn)
            generate_batch(conn, advertisers=3, campaigns=12, impressions=args.impressions,
                           ctr=0.03, cvr=0.1, days=30, seed=3)  # fmt: skip
            conn.commit()
        load(settings)
        dbt(settings, "build", "--exclude-resource-type", "unit_test")
        refresher = Refresher(settings)
        samples: list[dict[str, Any]] = []
        seconds: list[float] = []
        failed = 0
        try:
            for cycle in range(1, args.cycles + 1):
                with psycopg.connect(dsn) as conn:
                    conn.execute(NEW_EVENTS, {"events": args.events})
                started = time.perf_counter()
                result = asyncio.run(refresher.refresh())
                seconds.append(time.perf_counter() - started)
                failed += result.status != "ok"
                if cycle == args.warmup or (cycle > args.warmup and cycle % args.every == 0):
                    samples.append(
                        {"cycle": cycle, "rss_mb": round(rss_mb(pid), 1),
                         "chdb_tracked_mb": round(tracked_mb(settings), 1)}
                    )  # fmt: skip
                    console.print(samples[-1])
        finally:
            refresher.close()
        base, last = samples[0], samples[-1]
        results.update(
            {
                "failed_cycles": failed,
                "seconds_per_cycle_median": round(statistics.median(seconds), 3),
                "samples": samples,
                "rss_growth_mb": round(last["rss_mb"] - base["rss_mb"], 1),
                "chdb_tracked_growth_mb": round(
                    last["chdb_tracked_mb"] - base["chdb_tracked_mb"], 1
                ),
                "measured_over_cycles": last["cycle"] - base["cycle"],
            }
        )
    finally:
        if not source:
            postgres.stop_embedded(settings.embedded_postgres_dir)
        drop_source()
        shutil.rmtree(workdir, ignore_errors=True)
    console.print(results)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    console.print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
