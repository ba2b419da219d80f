"""Seconds from a PostgreSQL commit to the insights API, with `serve` refreshing live.

    uv run python bench/bench_realtime.py [--rate 1000] [--duration 600] [--refresh-every 2]

1. generate a source (campaigns running today), `campaign-analytics load` and `dbt build`
2. start `campaign-analytics serve --refresh-every 2` (its own process, as users run it)
3. idle: CPU seconds of the serve process per refresh cycle with nothing new
4. stream events into PostgreSQL (seed_generator's `stream`, each tick's commit time and
   impressions per campaign recorded) while polling `GET /campaign/{id}/insights` of the
   busiest campaigns; a tick is visible once a campaign's impressions include it:
   latency = first poll that shows it - its commit time (p50, p95, max)
5. after the stream stops and a refresh passes: every campaign's KPIs through the API equal
   the same KPIs computed on PostgreSQL (exact counts, money to the cent)
6. the serve process's resident memory before and after, and its refresh steps (/metrics)

Prints the numbers and writes them to bench/results/bench_realtime.json. The poll period
(--poll, 0.1 s) bounds the latency's resolution.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ["TZ"] = "UTC"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psycopg
from rich.console import Console
from rich.table import Table

from campaign_analytics import postgres
from campaign_analytics.service import auth
from campaign_analytics.service.in_thread import free_port
from campaign_analytics.settings import load_settings
from seed_generator import generate_batch, stream
from seed_generator.migrations import apply_migrations
from seed_generator.streaming import Tick
from tests.kpi_sql import assert_same, pg_sums

RESULTS = Path(__file__).resolve().parent / "results" / "bench_realtime.json"
CLI = str(Path(sys.executable).with_name("campaign-analytics"))


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` (and its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def scrape(client: httpx.Client) -> dict[str, float]:
    """Prometheus samples of the serve process: name{labels} -> value."""
    samples = {}
    for line in client.get("/metrics").text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def refreshes(client: httpx.Client) -> float:
    return sum(v for k, v in scrape(client).items() if k.startswith("ca_refreshes_total"))


def wait_for_refreshes(client: httpx.Client, count: float, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while refreshes(client) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"serve did not reach {count:.0f} refreshes in {timeout:.0f} s")
        time.sleep(0.2)


def step_means(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Mean seconds per refresh step between two scrapes."""
    means = {}
    for key, total in after.items():
        if key.startswith("ca_refresh_step_duration_seconds_sum"):
            count_key = key.replace("_sum", "_count")
            runs = after.get(count_key, 0) - before.get(count_key, 0)
            if runs:
                step = key.split('step="', 1)[1].split('"', 1)[0]
                means[step] = round((total - before.get(key, 0)) / runs, 3)
    return means


class Poller(threading.Thread):
    """Polls each campaign's insights; keeps (time, impressions) per campaign."""

    def __init__(self, api: str, keys: dict[int, str], campaigns: dict[int, int], every: float):
        super().__init__(daemon=True)
        self.api, self.keys, self.campaigns, self.every = api, keys, campaigns, every
        self.seen: dict[int, list[tuple[float, int]]] = {c: [] for c in campaigns}
        self.stop = threading.Event()

    def run(self) -> None:
        clients = {
            a: httpx.Client(base_url=self.api, headers={"Authorization": f"Bearer {k}"})
            for a, k in self.keys.items()
        }
        try:
            while not self.stop.is_set():
                for campaign, advertiser in self.campaigns.items():
                    answer = clients[advertiser].get(f"/campaign/{campaign}/insights")
                    if answer.status_code == 200:
                        shown = answer.json()["totals"]["impressions"]
                        self.seen[campaign].append((time.time(), shown))
                self.stop.wait(self.every)
        finally:
            for client in clients.values():
                client.close()

    def first_at_least(self, campaign: int, impressions: int) -> float | None:
        """When the API first showed at least ``impressions`` for ``campaign``."""
        for at, shown in self.seen[campaign]:
            if shown >= impressions:
                return at
        return None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impressions", type=int, default=200_000, help="initial source size")
    parser.add_argument("--rate", type=float, default=1000, help="events per second streamed")
    parser.add_argument("--duration", type=float, default=600, help="seconds of streaming")
    parser.add_argument("--tick", type=float, default=1.0, help="seconds between stream commits")
    parser.add_argument("--refresh-every", type=float, default=2.0)
    parser.add_argument("--poll", type=float, default=0.1, help="seconds between API polls")
    parser.add_argument("--track", type=int, default=4, help="campaigns polled")
    parser.add_argument("--idle-cycles", type=int, default=10, help="idle refreshes timed")
    parser.add_argument(
        "--postgres-dsn",
        help="a PostgreSQL server to create the source database on (default: embedded)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench directory")
    args = parser.parse_args()
    console = Console()

    workdir = Path(tempfile.mkdtemp(prefix="bench_realtime_"))
    source: dict[str, str] = {}
    drop_source: Any = lambda: None  # noqa: E731
    if args.postgres_dsn:
        from bench.bench_dbt import source_database

        source, drop_source = source_database(args.postgres_dsn)
    env = os.environ | {
        "TZ": "UTC",
        "CA_DATA_DIR": str(workdir),
        "DBT_TARGET_PATH": str(workdir / "dbt_target"),
        "CA_VERSION_POLL_SECONDS": "0.5",
        "CA_RATE_LIMIT": "100000/minute",
        **source,
    }
    settings = load_settings(env)
    dsn = postgres.source_dsn(settings)  # starts the embedded server unless one was given
    settings = dataclasses.replace(settings, postgres_dsn=dsn)
    results: dict[str, Any] = {
        "impressions": args.impressions,
        "rate": args.rate,
        "duration_s": args.duration,
        "refresh_every_s": args.refresh_every,
    }
    serve: subprocess.Popen[str] | None = None
    try:
        with psycopg.connect(dsn) as conn:
            apply_migrations(conn)
            generate_batch(conn, advertisers=6, campaigns=30, impressions=args.impressions,
                           days=30, seed=1)  # fmt: skip
            conn.commit()
        for command in (["load"], ["dbt", "build", "--exclude-resource-type", "unit_test"]):
            done = subprocess.run([CLI, *command], env=env, capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"{' '.join(command)} failed: {done.stderr[-2000:]}")

        # the busiest campaigns running today, and a viewer key for each advertiser
        with psycopg.connect(dsn) as conn:
            owners = dict(conn.execute("select id, advertiser_id from campaigns").fetchall())
            busiest = conn.execute(
                "select campaign_id, count(*) from impressions"
                " where served_at > now() - interval '1 day' group by 1 order by 2 desc limit %s",
                (args.track,),
            ).fetchall()
            keys = {a: auth.create_key(conn, advertiser_id=a)[0] for a in set(owners.values())}
            conn.commit()
        tracked = {campaign: owners[campaign] for campaign, _ in busiest}

        port = free_port()
        api = f"http://127.0.0.1:{port}"
        serve = subprocess.Popen(
            [CLI, "serve", "--port", str(port), "--refresh-every", str(args.refresh_every)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "serve.log").open("w"),
            text=True,
            start_new_session=True,
        )
        metrics = httpx.Client(base_url=api, timeout=30)
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if metrics.get("/readyz").status_code == 200:
                    break
            if serve.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"serve did not get ready: {(workdir / 'serve.log').read_text()}")
            time.sleep(0.3)
        wait_for_refreshes(metrics, 2, timeout=600)  # the first refresh builds everything

        # 3. idle cycles
        before, cpu = scrape(metrics), cpu_seconds(serve.pid)
        started = time.monotonic()
        count = refreshes(metrics)
        wait_for_refreshes(metrics, count + args.idle_cycles, timeout=args.idle_cycles * 60)
        cycles = refreshes(metrics) - count
        results["idle_cycle_cpu_s"] = round((cpu_seconds(serve.pid) - cpu) / cycles, 3)
        results["idle_cycle_wall_s"] = round((time.monotonic() - started) / cycles, 3)
        results["idle_steps_s"] = step_means(before, scrape(metrics))
        results["rss_before_mb"] = round(rss_mb(serve.pid), 1)

        # 4. stream and poll
        with psycopg.connect(dsn) as conn:
            base = dict(
                conn.execute(
                    "select campaign_id, count(*) from impressions where campaign_id = any(%s)"
                    " group by 1",
                    (list(tracked),),
                ).fetchall()
            )
        ticks: list[Tick] = []
        poller = Poller(api, keys, tracked, args.poll)
        poller.start()
        before, cpu = scrape(metrics), cpu_seconds(serve.pid)
        cycles_before = refreshes(metrics)
        with psycopg.connect(dsn, autocommit=True) as conn:
            totals = stream(conn, rate=args.rate, duration=args.duration, interval=args.tick,
                            seed=2, on_tick=ticks.append)  # fmt: skip
        streamed_at = time.monotonic()
        results["streamed"] = totals
        results["stream_cycles"] = refreshes(metrics) - cycles_before
        results["stream_cpu_s_per_cycle"] = round(
            (cpu_seconds(serve.pid) - cpu) / max(1.0, results["stream_cycles"]), 3
        )
        results["stream_steps_s"] = step_means(before, scrape(metrics))
        # every tick's impressions visible: then stop polling
        targets: list[tuple[dt.datetime, int, int]] = []  # (commit, campaign, impressions)
        running = dict(base)
        for tick in ticks:
            for campaign, added in tick.campaign_impressions.items():
                if campaign in tracked and added:
                    running[campaign] = running.get(campaign, 0) + added
                    assert tick.committed_at is not None
                    targets.append((tick.committed_at, campaign, running[campaign]))
        final = {c: running.get(c, 0) for c in tracked}
        deadline = time.monotonic() + 10 * args.refresh_every + 60
        while (
            any(poller.first_at_least(c, n) is None for c, n in final.items())
            and time.monotonic() < deadline
        ):
            time.sleep(0.5)
        poller.stop.set()
        poller.join()
        latencies, missing = [], 0
        by_minute: dict[int, list[float]] = {}  # minute of the stream -> its latencies
        first_commit = targets[0][0].timestamp() if targets else 0.0
        for committed, campaign, impressions in targets:
            seen = poller.first_at_least(campaign, impressions)
            if seen is None:
                missing += 1
            else:
                latencies.append(max(0.0, seen - committed.timestamp()))
                minute = int((committed.timestamp() - first_commit) // 60)
                by_minute.setdefault(minute, []).append(latencies[-1])
        results["ticks"] = len(ticks)
        results["latency_samples"] = len(latencies)
        results["latency_never_seen"] = missing
        if latencies:
            results["latency_p50_s"] = round(statistics.median(latencies), 2)
            results["latency_p95_s"] = round(percentile(latencies, 0.95), 2)
            results["latency_max_s"] = round(max(latencies), 2)
            # whether latency grows as the day's partition does
            results["latency_p50_p95_by_minute"] = {
                m: [round(statistics.median(v), 2), round(percentile(v, 0.95), 2)]
                for m, v in sorted(by_minute.items())
            }
        results["settled_after_stream_s"] = round(time.monotonic() - streamed_at, 1)

        # 5. one more refresh, then every campaign equals PostgreSQL
        wait_for_refreshes(metrics, refreshes(metrics) + 2, timeout=600)
        checked = 0
        with psycopg.connect(dsn) as conn:
            campaigns = conn.execute(
                "select distinct i.campaign_id, c.advertiser_id from impressions i"
                " join campaigns c on c.id = i.campaign_id"
            ).fetchall()
        for campaign, advertiser in campaigns:
            with httpx.Client(
                base_url=api, headers={"Authorization": f"Bearer {keys[advertiser]}"}
            ) as client:
                body = client.get(f"/campaign/{campaign}/insights").json()
            assert_same(body["totals"], pg_sums(settings, campaign_id=campaign)[0])
            checked += 1
        results["campaigns_equal_postgres"] = checked
        results["rss_after_mb"] = round(rss_mb(serve.pid), 1)
    finally:
        if serve is not None and serve.poll() is None:
            os.killpg(serve.pid, signal.SIGTERM)
            serve.wait(timeout=60)
        if not source:
            postgres.stop_embedded(settings.embedded_postgres_dir)
        drop_source()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    show(results, console)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=str))
    console.print(f"written to {RESULTS}")


def show(results: dict[str, Any], console: Console) -> None:
    table = Table(
        title=f"serve --refresh-every {results['refresh_every_s']:g}: "
        f"stream at {results['rate']:g} events/s for {results['duration_s']:g} s"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in results.items():
        if key not in {"rate", "duration_s", "refresh_every_s"}:
            table.add_row(key, json.dumps(value, default=str))
    console.print(table)


if __name__ == "__main__":
    main()
