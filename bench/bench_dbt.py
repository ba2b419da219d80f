"""dbt build speed and KPI query latency, measured on one generated data set.

    uv run python bench/bench_dbt.py [--impressions 2000000] [--increment 50000]

1. generate the source (seed_generator.generate_batch) and load it with dlt (`make load`)
2. full-refresh `dbt build` (models and every test), timed as `make transform` runs it
3. load ~50k new events (the next day's traffic), then an incremental `dbt build`
4. optionally (--mutate) `mutate` the source (updates, late events, deletes) and build again
5. the KPI report's queries against the marts vs the same tables computed from the raw
   events (FINAL reads, joins, attribution), median of --repeat runs; results must be equal
6. in this process, as `serve` builds (dbtRunner, the parsed manifest kept): a full-refresh
   build, then a --delta share of new events loaded and the hot build of what they feed
   (the facts, the hot tests), then the published marts compared with a full rebuild's

Prints the timings (wall clock of the dbt process, dbt's own elapsed time, and time spent in
models and in tests from run_results.json) and writes them to bench/results/bench_dbt.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

os.environ["TZ"] = "UTC"
# run from anywhere: the repo root holds the packages
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from psycopg import sql
from rich.console import Console
from rich.table import Table

from campaign_analytics import postgres, report, warehouse
from campaign_analytics.settings import DBT_PROJECT_DIR, Settings, load_settings

RESULTS = Path(__file__).resolve().parent / "results" / "bench_dbt.json"

# A day's traffic: copies of the newest impressions one day later, clicks on 3% of them and
# conversions on 10% of those, all new rows (new ids, new updated_at), on the last two days.
INCREMENT = [
    """
insert into impressions (campaign_id, channel_id, audience_id, user_id, served_at, cost)
select campaign_id, channel_id, audience_id, user_id, served_at + interval '1 day', cost
from impressions
order by served_at desc
limit %(impressions)s
""",
    """
insert into clicks (impression_id, impression_served_at, clicked_at, cost)
select id, served_at, served_at + interval '40 seconds', round((random() * 0.8)::numeric, 6)
from impressions
where id > %(last_id)s and random() < 0.03
""",
    """
insert into conversions (click_id, click_clicked_at, converted_at, conversion_type, revenue)
select id, clicked_at, clicked_at + interval '20 minutes', 'purchase',
       round((random() * 80)::numeric, 2)
from clicks
where impression_id > %(last_id)s and random() < 0.1
""",
]

# fct_campaign_performance_daily computed from the raw tables the way the models do (newest
# version of each event, clicks on their impression's day, conversions on their own day
# within the attribution window): the report's queries read it in place of the fact.
RAW_DAILY = """(
    select
        day as date_day, campaign_id, channel_id,
        sum(is_impression) as impressions, sum(is_click) as clicks,
        sum(is_conversion) as conversions, sum(cost) as spend, sum(revenue) as revenue,
        uniqExactStateIf(user_id, is_impression = 1) as reached_users_state
    from (
        select toDate32(served_at) as day, campaign_id, channel_id, user_id,
               1 as is_impression, 0 as is_click, 0 as is_conversion,
               toDecimal64(cost, 6) as cost, toDecimal64(0, 2) as revenue
        from {raw}.ad_platform__impressions final
        union all
        select toDate32(i.served_at), i.campaign_id, i.channel_id, i.user_id, 0, 1, 0,
               toDecimal64(k.cost, 6), toDecimal64(0, 2)
        from {raw}.ad_platform__impressions as i final
        inner join (select * from {raw}.ad_platform__clicks final) as k
            on i.id = k.impression_id
        union all
        select toDate32(v.converted_at), i.campaign_id, i.channel_id, i.user_id, 0, 0, 1,
               toDecimal64(0, 6), toDecimal64(v.revenue, 2)
        from {raw}.ad_platform__impressions as i final
        inner join (select * from {raw}.ad_platform__clicks final) as k
            on i.id = k.impression_id
        inner join (select * from {raw}.ad_platform__conversions final) as v
            on k.id = v.click_id
        where v.converted_at <= k.clicked_at + toIntervalDay({window})
    ) as events
    group by date_day, campaign_id, channel_id
)"""


def timed(step: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result


def dbt(settings: Settings, workdir: Path, *args: str) -> dict[str, Any]:
    """Run dbt as `campaign-analytics dbt` does, in its own process; return its timings."""
    target = workdir / "dbt_target"
    command = [
        str(Path(sys.executable).with_name("dbt")),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(workdir / "dbt_logs"),
    ]
    env = os.environ | settings.dbt_env()
    wall, result = timed(lambda: subprocess.run(command, env=env, capture_output=True, text=True))
    if result.returncode:
        raise SystemExit(f"dbt {' '.join(args)} failed:\n{result.stdout[-3000:]}")
    results = json.loads((target / "run_results.json").read_text())
    spent: dict[str, float] = {}
    for node in results["results"]:
        kind = node["unique_id"].split(".")[0]
        spent[kind] = spent.get(kind, 0.0) + node["execution_time"]
    facts = {
        node["unique_id"].split(".")[-1]: round(node["execution_time"], 2)
        for node in results["results"]
        if node["unique_id"].split(".")[-1].startswith("fct_")
    }
    return {
        "wall_s": round(wall, 2),
        "dbt_elapsed_s": round(results["elapsed_time"], 2),
        "models_s": round(spent.get("model", 0.0), 2),
        "tests_s": round(spent.get("test", 0.0) + spent.get("unit_test", 0.0), 2),
        "nodes": len(results["results"]),
        "facts_s": facts,
    }


def add_events(dsn: str, events: int) -> int:
    """The next day's traffic, about ``events`` new event rows (INCREMENT); rows added."""
    with psycopg.connect(dsn) as conn:
        last_id = conn.execute("select max(id) from impressions").fetchone()[0]
        impressions = round(events / 1.033)  # + 3% clicks, + 10% of those converted
        for statement in INCREMENT:
            conn.execute(statement, {"impressions": impressions, "last_id": last_id})
        added = conn.execute(
            "select (select count(*) from impressions where id > %(id)s)"
            " + (select count(*) from clicks where impression_id > %(id)s)"
            " + (select count(*) from conversions v join clicks k on k.id = v.click_id"
            "    where k.impression_id > %(id)s)",
            {"id": last_id},
        ).fetchone()[0]
        conn.commit()
    return added


# the daily fact's rows without its build time, its reach state read as a count
DAILY_FACT = (
    "select date_day, campaign_id, channel_id, impressions, clicks, conversions, spend, "
    "revenue, finalizeAggregation(reached_users_state) from {table}"
)


def published_marts(settings: Settings) -> dict[str, list[str]]:
    """Every relation of the published build: its rows, sorted."""
    from campaign_analytics import published

    db = warehouse.client(settings)
    try:
        database = published.current(db, settings).build.database
        names = db.query(
            "select name from system.tables where database = {db:String}",
            parameters={"db": database},
        ).result_rows
        marts = {}
        for (name,) in names:
            table = f"`{database}`.`{name}`"
            query = "select * from {table}"
            if name == "fct_campaign_performance_daily":
                query = DAILY_FACT
            marts[name] = sorted(map(repr, db.query(query.format(table=table)).result_rows))
        return marts
    finally:
        db.close()


def event_cursors(settings: Settings) -> dict[str, str] | None:
    from campaign_analytics.service.refresh import iso_cursors
    from dlt_pipelines import load as dlt_load

    _, events = dlt_load.source_tables()
    return iso_cursors(dlt_load.cursors(dlt_load.pipeline(settings), events))


def in_process(
    settings: Settings, dsn: str, delta: float, fixed: int, events: int
) -> dict[str, Any]:
    """Full vs hot builds in this process (as `serve` runs them), marts vs a full rebuild.

    Two hot builds: after a ``delta`` share of new events (the ratio to the full build), and
    after ``fixed`` new events (the same change at every size: O(change) when it takes the
    same time at 2 M and 10 M events)."""
    from campaign_analytics.dbt_inprocess import DbtInProcess

    dbt_runner = DbtInProcess(settings)
    no_unit_tests = ("--exclude-resource-type", "unit_test")
    from dlt_pipelines.load import source_tables

    _, tables = source_tables()
    full_s, result = timed(lambda: dbt_runner.build("--full-refresh", *no_unit_tests))
    measured: dict[str, Any] = {"full_build_s": round(full_s, 2)}
    measured["full_nodes"] = len(result.result.results)
    for name, size in (("share", round(events * delta)), ("fixed", fixed)):
        # what `serve` knows: the events' cursors at the last build (no hard delete since)
        since = event_cursors(settings)
        added = add_events(dsn, size)
        loaded_s = load(settings)
        hot_s, result = timed(
            lambda s=since: dbt_runner.build_changed(tables, full_tests=False,
                                                     events_changed_since=s)
        )  # fmt: skip
        nodes = sorted(
            ((round(node.execution_time, 3), node.node.name) for node in result.result.results),
            reverse=True,
        )
        measured[f"hot_{name}"] = {
            "delta_events": added,
            "load_delta_s": round(loaded_s, 2),
            "hot_build_s": round(hot_s, 2),
            "hot_over_full": round(hot_s / full_s, 3),
            "hot_nodes": len(nodes),
            "node_seconds": {node: seconds for seconds, node in nodes},
        }
    incremental = published_marts(settings)
    rebuild_s, _ = timed(lambda: dbt_runner.build("--full-refresh", *no_unit_tests))
    rebuilt = published_marts(settings)
    measured["full_rebuild_s"] = round(rebuild_s, 2)
    measured["marts_compared"] = len(rebuilt)
    measured["marts_different_from_full_rebuild"] = sorted(
        name for name in rebuilt if incremental.get(name) != rebuilt[name]
    )
    return measured


def load(settings: Settings) -> float:
    from dlt_pipelines.run import run_and_report

    seconds, _ = timed(
        lambda: run_and_report(settings, full_refresh=False, console=Console(quiet=True))
    )
    return seconds


def latency(settings: Settings, repeat: int) -> list[dict[str, Any]]:
    """Median seconds of each report query on the marts and on the raw events."""
    from campaign_analytics import published
    from campaign_analytics.metrics.catalog import Catalog
    from campaign_analytics.metrics.compiler import compile_query

    raw_daily = RAW_DAILY.format(raw=settings.raw_database, window=30)
    catalog = Catalog.load(settings.dbt_target_path / "manifest.json")
    db = warehouse.client(settings)
    rows = []
    try:
        database = published.current(db, settings).build.database
        fact = f"`{database}`.`{catalog.fact_table}`"
        for section in report.sections():
            compiled = compile_query(section.query, catalog, database, None)
            assert fact in compiled.sql, compiled.sql
            measured = {}
            for name, query in (
                ("marts", compiled.sql),
                ("raw", compiled.sql.replace(fact, raw_daily)),
            ):
                times, answer = [], None
                for _ in range(repeat):
                    seconds, answer = timed(
                        lambda q=query, p=compiled.parameters: db.query(q, parameters=p)
                    )
                    times.append(seconds)
                measured[name] = (statistics.median(times), answer.result_rows)
            same = measured["marts"][1] == measured["raw"][1]
            rows.append(
                {
                    "query": section.title,
                    "marts_s": measured["marts"][0],
                    "raw_s": measured["raw"][0],
                    "same_result": same,
                }
            )
    finally:
        db.close()
    return rows


def source_database(dsn: str | None) -> tuple[dict[str, str], Any]:
    """Settings entries for the source, and a cleanup: a fresh database on a given server."""
    if not dsn:
        return {}, lambda: None
    name = f"bench_dbt_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    info = psycopg.conninfo.conninfo_to_dict(dsn) | {"dbname": name}

    def drop() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )

    return {"POSTGRES_DSN": psycopg.conninfo.make_conninfo(**info)}, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impressions", type=int, default=2_000_000)
    parser.add_argument("--days", type=int, default=60, help="days the data set spans")
    parser.add_argument("--increment", type=int, default=50_000, help="new events to load")
    parser.add_argument(
        "--delta", type=float, default=0.01, help="new events for the hot build, share of all"
    )
    parser.add_argument(
        "--fixed-delta", type=int, default=20_000, help="new events for the second hot build"
    )
    parser.add_argument(
        "--in-process-only",
        action="store_true",
        help="only the in-process builds (no dbt processes, no query latency)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per latency measurement")
    parser.add_argument("--mutate", action="store_true", help="also time a build after mutate")
    parser.add_argument(
        "--with-unit-tests",
        action="store_true",
        help="time builds with the unit tests (default: production builds without them; "
        "they test SQL logic on fixtures, not data, and CI runs them)",
    )
    parser.add_argument(
        "--postgres-dsn",
        help="a PostgreSQL server to create the source database on "
        "(default: an embedded server in the bench directory)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench directory")
    args = parser.parse_args()
    console = Console()

    from seed_generator import generate_batch, mutate
    from seed_generator.migrations import apply_migrations

    workdir = Path(tempfile.mkdtemp(prefix="bench_dbt_"))
    source, drop_source = source_database(args.postgres_dsn)
    settings = load_settings(
        {"CA_DATA_DIR": str(workdir), "CHDB_PATH": str(workdir / "chdb")} | source
    )
    dsn = postgres.source_dsn(settings)
    results: dict[str, Any] = {"impressions": args.impressions, "days": args.days}
    try:
        with psycopg.connect(dsn) as conn:
            apply_migrations(conn)
            results["generated"] = generate_batch(
                conn,
                advertisers=10,
                campaigns=60,
                impressions=args.impressions,
                ctr=0.03,
                cvr=0.1,
                days=args.days,
                seed=1,
            )
            conn.commit()
        results["events"] = sum(
            results["generated"][t] for t in ("impressions", "clicks", "conversions")
        )
        console.print(f"source: {results['generated']}")
        results["load_initial_s"] = round(load(settings), 2)

        if not args.in_process_only:
            build = ["build"]
            if not args.with_unit_tests:
                build += ["--exclude-resource-type", "unit_test"]
            results["build_command"] = " ".join(["dbt", *build])
            results["full_build"] = dbt(settings, workdir, *build, "--full-refresh")
            console.print(f"full build: {results['full_build']}")

            added = add_events(dsn, args.increment)
            results["increment_events"] = added
            results["load_increment_s"] = round(load(settings), 2)
            results["incremental_build"] = dbt(settings, workdir, *build)
            console.print(f"incremental build: {results['incremental_build']}")

            if args.mutate:
                with psycopg.connect(dsn) as conn:
                    results["mutated"] = mutate(conn, seed=2)
                    conn.commit()
                load(settings)
                results["build_after_mutate"] = dbt(settings, workdir, *build)
                console.print(f"build after mutate: {results['build_after_mutate']}")

            results["latency"] = latency(settings, args.repeat)
        results["in_process"] = in_process(
            settings, dsn, args.delta, args.fixed_delta, results["events"]
        )
        console.print(f"in process: {results['in_process']}")
    finally:
        if not source:
            postgres.stop_embedded(settings.embedded_postgres_dir)
        drop_source()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    if not args.in_process_only:
        show(results, console)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=str))
    console.print(f"written to {RESULTS}")


def show(results: dict[str, Any], console: Console) -> None:
    full, inc = results["full_build"], results["incremental_build"]
    builds = Table(
        title=f"{results['build_command']} on {results['events']:,} events "
        f"(+{results['increment_events']:,} for the incremental build)"
    )
    for name in ("measure", "full refresh", "incremental", "incremental / full"):
        builds.add_column(name, justify="left" if name == "measure" else "right")
    for key, label in (
        ("wall_s", "wall clock, dbt process (s)"),
        ("dbt_elapsed_s", "dbt elapsed (s)"),
        ("models_s", "models (s)"),
        ("tests_s", "data + unit tests (s)"),
    ):
        builds.add_row(label, f"{full[key]:.1f}", f"{inc[key]:.1f}", f"{inc[key] / full[key]:.0%}")
    for fact, seconds in full["facts_s"].items():
        after = inc["facts_s"][fact]
        builds.add_row(fact, f"{seconds:.2f}", f"{after:.2f}", f"{after / seconds:.0%}")
    console.print(builds)
    if "build_after_mutate" in results:
        console.print(f"build after mutate: {results['build_after_mutate']}")

    queries = Table(title="KPI report queries: marts vs raw events (median seconds)")
    for name in ("query", "marts", "raw events", "speed-up", "same result"):
        queries.add_column(name, justify="left" if name == "query" else "right")
    for row in results["latency"]:
        queries.add_row(
            row["query"],
            f"{row['marts_s']:.4f}",
            f"{row['raw_s']:.3f}",
            f"{row['raw_s'] / row['marts_s']:.0f}x",
            "yes" if row["same_result"] else "NO",
        )
    marts = sum(r["marts_s"] for r in results["latency"])
    raw = sum(r["raw_s"] for r in results["latency"])
    queries.add_row("whole report", f"{marts:.4f}", f"{raw:.3f}", f"{raw / marts:.0f}x", "")
    console.print(queries)


if __name__ == "__main__":
    main()
