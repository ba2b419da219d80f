"""Insights API speed: cache hits, cache misses and a refresh, against baselines of the same run.

    uv run python bench/bench_api.py --impressions 2000000

Builds (or reuses) a warehouse in bench/results/api-<impressions>/, starts the API in this
process (it owns the embedded engines) and drives it with wrk (Debian's package, installed
if missing: a Python load generator saturates near 200 req/s on two cores and would measure
itself). Reports, each beside its baseline:

* cache hits on /campaign/{id}/insights with 50 connections vs a bare JSON endpoint of the
  same app (/healthz): throughput ratio and p99;
* cache misses (every request a new day range, one connection): p95 vs the same SQL run
  directly through clickhouse-connect in this process;
* cache hits while an in-process refresh (load + dbt build + publish) runs: p99.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from campaign_analytics import warehouse  # noqa: E402
from campaign_analytics.dbt_inprocess import invoke  # noqa: E402
from campaign_analytics.metrics.compiler import compile_query  # noqa: E402
from campaign_analytics.metrics.query import Filter, MetricQuery, TimeRange  # noqa: E402
from campaign_analytics.service import auth  # noqa: E402
from campaign_analytics.service.schemas import INSIGHT_METRICS  # noqa: E402
from campaign_analytics.settings import Settings, load_settings  # noqa: E402

TODAY = dt.date(2026, 11, 20)
DAYS = 60
PERCENTILES_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("PCT %.3f %.3f %.3f\\n", latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""
MISSES_LUA = """
counter = 0
request = function()
  counter = counter + 1
  local first = 1 + (counter %% %(days)d)
  local length = (math.floor(counter / %(days)d) %% 28) + 1
  local path = string.format("%(path)s?from=%%s&to=%%s", day(first), day(first + length))
  return wrk.format("GET", path)
end
day = function(offset)
  return os.date("!%%Y-%%m-%%d", %(day0)d + offset * 86400)
end
"""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (Debian package)", flush=True)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk") or "wrk"


def build(settings: Settings, impressions: int) -> None:
    from seed_generator import generate_batch
    from seed_generator.migrations import apply_migrations
    from tests.pipeline import load

    with psycopg.connect(_dsn(settings)) as conn:
        apply_migrations(conn)
        if conn.execute("select exists (select from campaigns)").fetchone()[0]:
            return
        generate_batch(
            conn,
            advertisers=5,
            campaigns=20,
            impressions=impressions,
            days=DAYS,
            seed=5,
            today=TODAY,
        )
        conn.commit()
    started = time.perf_counter()
    load(settings)
    print(f"loaded in {time.perf_counter() - started:.1f}s", flush=True)
    started = time.perf_counter()
    result = invoke(settings, "build", "--exclude-resource-type", "unit_test")
    if not result.success:
        raise SystemExit(f"dbt build failed: {result.exception}")
    print(f"built in {time.perf_counter() - started:.1f}s", flush=True)


def wrk(
    wrk_bin: str, url: str, *, connections: int, seconds: int, key: str | None, lua: str
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua + PERCENTILES_LUA)
    command = [
        wrk_bin,
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "-s",
        script.name,
        url,
    ]
    if key:
        command[1:1] = ["-H", f"Authorization: Bearer {key}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    Path(script.name).unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50, p95, p99 = (float(v) for v in re.search(r"PCT ([\d.]+) ([\d.]+) ([\d.]+)", out).groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": rps,
        "p50_ms": p50,
        "p95_ms": p95,
        "p99_ms": p99,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
    }


def direct_misses(settings: Settings, api: Any, campaign: int, tenant: int, count: int) -> float:
    """p95 ms of the insights totals SQL, compiled the same way, on clickhouse-connect."""
    catalog, published = api.service.ready()
    db = warehouse.client(settings)
    times = []
    try:
        for i in range(count):
            first = TODAY - dt.timedelta(days=DAYS) + dt.timedelta(days=1 + i % DAYS)
            end = first + dt.timedelta(days=(i // DAYS) % 28 + 1)
            query = MetricQuery(
                metrics=list(INSIGHT_METRICS),
                time=TimeRange(start=first, end=end),
                filters=[Filter(dimension="campaign", op="eq", value=campaign)],
                limit=1000,
            )
            compiled = compile_query(query, catalog, published.build.database, tenant)
            started = time.perf_counter()
            db.query(compiled.sql, parameters=compiled.parameters)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        db.close()
    return statistics.quantiles(times, n=100)[94]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impressions", type=int, default=2_000_000)
    parser.add_argument("--seconds", type=int, default=15, help="each wrk run")
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()

    from campaign_analytics.service.in_thread import serving

    wrk_bin = ensure_wrk()
    workdir = REPO / "bench" / "results" / f"api-{args.impressions}"
    workdir.mkdir(parents=True, exist_ok=True)
    settings = load_settings(
        {
            "CA_DATA_DIR": str(workdir),
            "DBT_TARGET_PATH": str(workdir / "dbt_target"),
            "CA_RATE_LIMIT": "100000000/minute",
            "CA_TENANT_CONCURRENCY": "1000",
            "CA_VERSION_POLL_SECONDS": "1",
            "CA_REFRESH_EVERY_SECONDS": "36000",
        }
        | {k: v for k, v in os.environ.items() if k == "POSTGRES_DSN"}
    )
    os.environ["TZ"] = "UTC"
    build(settings, args.impressions)
    with psycopg.connect(_dsn(settings)) as conn:
        from seed_generator.migrations import apply_migrations

        apply_migrations(conn)
        tenant, campaign = conn.execute(
            "select c.advertiser_id, c.id from campaigns c join impressions i on "
            "i.campaign_id = c.id group by 1, 2 order by count(*) desc limit 1"
        ).fetchone()
        key, _ = auth.create_key(conn, advertiser_id=tenant, name="bench")
        admin, _ = auth.create_key(conn, advertiser_id=tenant, role="admin", name="bench")
    results: dict[str, Any] = {"impressions": args.impressions, "campaign": campaign}
    with serving(settings, refresh=True) as api:
        insights = f"{api.url}/campaign/{campaign}/insights"
        warm = f"{insights}?grain=week"
        with api.client(key) as client:
            assert client.get(warm).status_code == 200
        seconds, connections = args.seconds, args.connections
        results["bare"] = wrk(
            wrk_bin,
            f"{api.url}/healthz",
            connections=connections,
            seconds=seconds,
            key=None,
            lua="",
        )
        results["hits"] = wrk(
            wrk_bin, warm, connections=connections, seconds=seconds, key=key, lua=""
        )
        day0 = int(
            dt.datetime.combine(TODAY - dt.timedelta(days=DAYS), dt.time(), dt.UTC).timestamp()
        )
        misses_lua = MISSES_LUA % {
            "days": DAYS - 30,
            "path": f"/campaign/{campaign}/insights",
            "day0": day0,
        }
        results["misses"] = wrk(
            wrk_bin, insights, connections=1, seconds=seconds, key=key, lua=misses_lua
        )
        results["direct_p95_ms"] = direct_misses(settings, api, campaign, tenant, 300)

        # hits while the warehouse refreshes in this process
        refresh: dict[str, Any] = {}

        def run_refresh() -> None:
            time.sleep(2)
            with api.client(admin) as client:
                refresh.update(client.post("/v1/admin/refresh", timeout=600).json())

        thread = threading.Thread(target=run_refresh)
        thread.start()
        results["hits_during_refresh"] = wrk(
            wrk_bin, warm, connections=connections, seconds=max(seconds, 30), key=key, lua=""
        )
        thread.join()
        results["refresh"] = refresh.get("refresh")

    bare, hits, misses = results["bare"], results["hits"], results["misses"]
    ratio = hits["requests_per_s"] / bare["requests_per_s"]
    limit = 1.3 * results["direct_p95_ms"] + 10
    print(json.dumps(results, indent=2))
    print()
    print("| what | measured | target |")
    print("| --- | --- | --- |")
    print(
        f"| cache hits, {args.connections} connections | {hits['requests_per_s']:.0f} req/s = "
        f"**{ratio:.2f}x** the bare endpoint ({bare['requests_per_s']:.0f} req/s); p99 "
        f"{hits['p99_ms']:.1f} ms | >= 0.5x, p99 <= 50 ms |"
    )
    print(
        f"| cache misses on /campaign/{{id}}/insights, {args.impressions:,} impressions | p95 "
        f"{misses['p95_ms']:.1f} ms vs {results['direct_p95_ms']:.1f} ms for the same SQL "
        f"through clickhouse-connect (limit {limit:.1f} ms) | <= 1.3x + 10 ms |"
    )
    during = results["hits_during_refresh"]
    refresh_seconds = (results["refresh"] or {}).get("seconds")
    print(
        f"| cache hits during an in-process refresh ({refresh_seconds} s) | "
        f"{during['requests_per_s']:.0f} req/s, p99 {during['p99_ms']:.1f} ms, "
        f"{during['non_2xx']} errors | served throughout |"
    )
    (workdir / "results.json").write_text(json.dumps(results, indent=2, default=str))


def _dsn(settings: Settings) -> str:
    from campaign_analytics.postgres import source_dsn

    return source_dsn(settings)


if __name__ == "__main__":
    main()
