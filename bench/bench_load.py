"""Replication speed, measured side by side on the same data in one run.

    uv run python bench/bench_load.py [--impressions 2000000]

1. initial `make load` (dlt, this project's configuration) of every table
2. incremental load after 50k new events and 1k campaign updates
3. baseline: ClickHouse's own copy, INSERT ... SELECT * FROM postgresql(...), of impressions
4. naive: psycopg fetchmany + clickhouse-connect insert loop, of impressions (every column)

Prints rows/s and the ratios dlt/baseline and dlt/naive (impressions only, so all four move
the same table), and incremental time as a share of the initial load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ["TZ"] = "UTC"
# run from anywhere: the repo root holds the packages and the tests' synthetic data
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import chdb_engine
import clickhouse_connect
import psycopg
from rich.console import Console
from rich.table import Table

from campaign_analytics import postgres
from campaign_analytics.settings import load_settings
from dlt_pipelines import load
from seed_generator.migrations import apply_migrations
from tests.pipeline import FIXED_ENTITIES, add_events


def timed(step):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impressions", type=int, default=2_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the bench data directory")
    args = parser.parse_args()
    console = Console()

    workdir = Path(tempfile.mkdtemp(prefix="bench_load_"))
    settings = load_settings({"CA_DATA_DIR": str(workdir), "CHDB_PATH": str(workdir / "chdb")})
    dsn = postgres.source_dsn(settings)
    with psycopg.connect(dsn) as conn:
        apply_migrations(conn)
        conn.execute(FIXED_ENTITIES)
        add_events(conn, args.impressions)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("vacuum analyze")
        rows = conn.execute("select count(*) from impressions").fetchone()[0]
    console.print(f"source: {rows:,} impressions (+ clicks, conversions) at {dsn}")

    # `make load` (dlt_pipelines/run.py) holds the engine for the whole run: dlt opens and
    # closes its connection several times a load, and each close of the last one shuts
    # chDB down (~0.3 s to start again); every path here runs on one held engine the same way
    with chdb_engine.held(settings.chdb_path, settings.lock_wait_seconds):
        initial_s, initial = timed(lambda: load.run(settings, dsn=dsn))

        with psycopg.connect(dsn) as conn:
            add_events(conn, 50_000)
            conn.execute(
                "insert into campaigns (advertiser_id, name, objective, status, start_date, "
                "end_date, total_budget, daily_budget, bid_strategy, bid_amount) "
                "select 1, 'c' || g, 'sales', 'active', '2026-11-01', '2026-11-30', 1000, 50, "
                "'cpc', 1 from generate_series(1, 1000) g"
            )
            conn.execute("update campaigns set name = name || '!'")
        incremental_s, incremental = timed(lambda: load.run(settings, dsn=dsn))

        info = psycopg.conninfo.conninfo_to_dict(dsn)
        engine = chdb_engine.connect(settings.chdb_path, "bench")
        engine.query(
            "CREATE TABLE bench.impressions AS raw.ad_platform__impressions "
            "ENGINE = MergeTree ORDER BY id"
        )
        # every column of the source table, as dlt copies it (SELECT *)
        with psycopg.connect(dsn) as conn:
            columns = ", ".join(
                name
                for (name,) in conn.execute(
                    "select column_name from information_schema.columns "
                    "where table_name = 'impressions' order by ordinal_position"
                )
            )
        baseline_s, _ = timed(
            lambda: engine.query(
                f"INSERT INTO bench.impressions ({columns}) SELECT {columns} FROM postgresql("
                f"'{info['host']}:{info['port']}', '{info['dbname']}', 'impressions', "
                f"'{info['user']}', '')"
            )
        )
        engine.query("TRUNCATE TABLE bench.impressions")
        engine.close()

        client = clickhouse_connect.get_client(
            interface="chdb", path=str(settings.chdb_path), database="bench"
        )

        def naive() -> None:
            with psycopg.connect(dsn) as conn, conn.cursor(name="bench") as cursor:
                cursor.execute(f"select {columns} from impressions")
                while batch := cursor.fetchmany(50_000):
                    client.insert("impressions", batch, column_names=columns.split(", "))

        naive_s, _ = timed(naive)
        client.close()

    total = rows + 50_000
    table = Table(title=f"replication of {rows:,} impressions (2 cores)")
    for name in ("path", "seconds", "impressions/s", "vs baseline", "vs naive"):
        table.add_column(name, justify="left" if name == "path" else "right")

    def add(name: str, seconds: float, count: int) -> None:
        speed = count / seconds
        table.add_row(
            name,
            f"{seconds:.1f}",
            f"{speed:,.0f}",
            f"{speed / (rows / baseline_s):.2f}x",
            f"{speed / (rows / naive_s):.2f}x",
        )

    # the dlt load moves every table; counted here by impressions only, like the others
    add("dlt initial load (all tables)", initial_s, rows)
    add("ClickHouse postgresql() baseline", baseline_s, rows)
    add("naive fetchmany + insert", naive_s, rows)
    console.print(table)
    for name, run in (("initial", initial), ("incremental", incremental)):
        steps = ", ".join(
            f"{step} {sec:.1f}s" for step, sec in load.step_seconds(run.pipeline).items()
        )
        console.print(f"dlt {name} load steps: {steps}")
    console.print(
        f"incremental load (50k events + 1k campaign updates): {incremental_s:.1f}s = "
        f"{incremental_s / initial_s:.1%} of the initial load; {total:,} impressions in total"
    )
    postgres.stop_embedded(settings.embedded_postgres_dir)
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
