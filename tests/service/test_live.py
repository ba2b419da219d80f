"""The live service: `serve` refreshing every second while the source streams and changes.

Real PostgreSQL, real chDB, real HTTP. While seed_generator streams events, mutates the
source (updates, late rows, corrections, soft and hard deletes) and holds a transaction open
across refreshes, the API keeps answering and moves from build to build; once the source
stops and the refresh loop passes, every campaign's KPIs through the API and every KPI mart
of the published build equal the same KPIs computed on PostgreSQL.

A `serve` process killed with SIGKILL in the middle of its refreshes, then started again,
loses and duplicates nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from campaign_analytics import published, warehouse
from campaign_analytics.service import auth
from campaign_analytics.service.in_thread import free_port, serving
from campaign_analytics.settings import Settings, load_settings
from seed_generator import generate_batch, mutate, stream
from seed_generator.migrations import apply_migrations
from tests.dbt.test_dbt_kpis_match_postgres import KPIS, assert_same_rows
from tests.kpi_sql import WINDOW, assert_same, pg_sums
from tests.pipeline import clickhouse_rows, dbt, env_for, load, postgres_rows
from tests.service.conftest import service_settings

pytestmark = pytest.mark.e2e
CLI = str(Path(sys.executable).with_name("campaign-analytics"))

LIVE = {
    "CA_REFRESH_EVERY_SECONDS": "1",
    "CA_ENTITIES_EVERY": "3",
    "CA_FULL_TESTS_EVERY": "4",
    "CA_VERSION_POLL_SECONDS": "0.5",
    "CA_RATE_LIMIT": "100000/minute",
}


def live_source(settings: Settings, seed: int) -> None:
    """Campaigns running today (so that `stream` serves them) with 40 days of history."""
    assert settings.postgres_dsn
    with psycopg.connect(settings.postgres_dsn) as conn:
        apply_migrations(conn)
        generate_batch(conn, advertisers=3, campaigns=9, impressions=15_000, ctr=0.04, cvr=0.1,
                       days=40, seed=seed)  # fmt: skip
        conn.commit()


def viewer_keys(settings: Settings) -> dict[int, str]:
    assert settings.postgres_dsn
    with psycopg.connect(settings.postgres_dsn) as conn:
        advertisers = [a for (a,) in conn.execute("select id from advertisers order by id")]
        return {a: auth.create_key(conn, advertiser_id=a)[0] for a in advertisers}


def admin_key(settings: Settings) -> str:
    assert settings.postgres_dsn
    with psycopg.connect(settings.postgres_dsn) as conn:
        return auth.create_key(conn, advertiser_id=1, role="admin")[0]


def campaigns_with_events(settings: Settings) -> list[tuple[int, int]]:
    """(advertiser, campaign) of every campaign with an impression."""
    return [
        (int(a), int(c))
        for a, c in postgres_rows(
            settings,
            "select distinct c.advertiser_id, c.id from campaigns c "
            "join impressions i on i.campaign_id = c.id order by 1, 2",
        )
    ]


def assert_api_equals_postgres(url: str, settings: Settings, keys: dict[int, str]) -> int:
    checked = 0
    for advertiser, campaign in campaigns_with_events(settings):
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {keys[advertiser]}"},
                          timeout=60) as client:  # fmt: skip
            answer = client.get(f"/campaign/{campaign}/insights")
            assert answer.status_code == 200, answer.text
            assert_same(answer.json()["totals"], pg_sums(settings, campaign_id=campaign)[0])
            checked += 1
    return checked


class Source(threading.Thread):
    """The source while the service refreshes: a stream, two mutations and a transaction
    that stays open across several refreshes (its rows are older than rows read meanwhile)."""

    def __init__(self, settings: Settings, seconds: float) -> None:
        super().__init__(daemon=True)
        self.settings, self.seconds = settings, seconds
        self.error: BaseException | None = None
        self.totals: dict[str, int] = {}
        self.mutated: list[dict[str, int]] = []

    def run(self) -> None:
        try:
            dsn = self.settings.postgres_dsn
            assert dsn
            streaming = threading.Thread(target=self._stream, args=(dsn,), daemon=True)
            streaming.start()
            with psycopg.connect(dsn) as conn:
                for seed in (1, 2):
                    time.sleep(self.seconds / 4)
                    self.mutated.append(mutate(conn, seed=seed, hard_deletes=8))
                    conn.commit()
                with conn.transaction():  # stamped now, committed after later rows
                    conn.execute(
                        "insert into impressions (campaign_id, channel_id, audience_id, user_id,"
                        " served_at, cost) select campaign_id, channel_id, audience_id, user_id,"
                        " now(), cost from impressions order by id desc limit 25"
                    )
                    time.sleep(3)
            streaming.join()
        except BaseException as error:  # the test thread reports it
            self.error = error

    def _stream(self, dsn: str) -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            self.totals = stream(conn, rate=300, duration=self.seconds, interval=0.5, seed=7)


def refreshes(client: httpx.Client) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in client.get("/metrics").text.splitlines()
        if line.startswith("ca_refreshes_total")
    )


def wait_for_refreshes(client: httpx.Client, count: float, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while refreshes(client) < count:
        assert time.monotonic() < deadline, f"fewer than {count} refreshes in {timeout} s"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def source(make_database, session_dir: Path) -> Settings:
    suffix = uuid.uuid4().hex[:8]
    settings = load_settings(
        {
            "CA_DATA_DIR": str(session_dir / f"live_{suffix}"),
            "DBT_TARGET_PATH": str(session_dir / f"live_{suffix}" / "dbt_target"),
            "POSTGRES_DSN": make_database(),
            "CHDB_PATH": str(session_dir / "chdb"),
            "CLICKHOUSE_RAW_DATABASE": f"raw_{suffix}",
            "CLICKHOUSE_DATABASE": f"analytics_{suffix}",
        }
    )
    live_source(settings, seed=21)
    load(settings)
    dbt(settings, "build", "--exclude-resource-type", "unit_test")
    return settings


def test_the_live_service_equals_postgres_after_streaming_and_changes(
    source: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = service_settings(source, **LIVE)
    keys = viewer_keys(settings)
    campaign = campaigns_with_events(settings)[0]
    versions: set[str] = set()
    with serving(settings, refresh=True) as api, api.client() as operations:
        wait_for_refreshes(operations, 1)  # the first refresh builds all the source feeds
        changes = Source(settings, seconds=16)
        changes.start()
        with api.client(keys[campaign[0]]) as client:
            while changes.is_alive():
                answer = client.get(f"/campaign/{campaign[1]}/insights")
                assert answer.status_code == 200, answer.text  # never an error meanwhile
                versions.add(answer.json()["meta"]["data_version"])
                time.sleep(0.25)
        assert changes.error is None, changes.error
        assert changes.totals["impressions"] > 1_000 and len(changes.mutated) == 2
        assert len(versions) >= 2, versions  # the API moved with the builds, while they ran
        # the loop runs on: the entities' cadence and a reconciliation come round
        with api.client(admin_key(settings)) as admin:
            refreshed = admin.post("/v1/admin/refresh")
            assert refreshed.status_code == 200, refreshed.text
            assert refreshed.json()["refresh"]["status"] == "ok", refreshed.text
        wait_for_refreshes(operations, refreshes(operations) + 2)
        assert assert_api_equals_postgres(api.url, settings, keys) >= 9
        build = api.service.published.build
    assert_marts_equal_postgres(settings, build)


def assert_marts_equal_postgres(settings: Settings, build: published.Build) -> None:
    """Every KPI mart of the build the API served equals PostgreSQL (default variables)."""
    parameters = {"window": WINDOW, "as_of": dt.datetime.now(dt.UTC).date()}
    for kpi in KPIS:
        got = clickhouse_rows(settings, kpi.clickhouse_sql(f"`{build.database}`"))
        want = postgres_rows(settings, kpi.postgres_sql(), parameters)
        assert_same_rows(kpi.columns, got, want)


# -- changes found past the cursors ----------------------------------------------------------------


def test_live_builds_find_the_changes_past_the_last_builds_cursors(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the first build, a live build reads only the rows past the events' cursors at the
    last build (no id comparison): updates, late rows, corrections and hard deletes (the
    reconciliation's ids) included, the KPIs it publishes equal PostgreSQL; the admin refresh
    compares every id. The builds take the four build databases in turn, and one that finds
    the views its database holds made from the same parse keeps them."""
    import asyncio

    from campaign_analytics.service.refresh import Refresher

    monkeypatch.setenv("RECONCILE__EVERY_N_LOADS", "1")  # the hard-delete check every cycle
    live_source(settings, seed=31)
    load(settings)
    # a build database as versions before the four in turn named them: the next build drops it
    legacy = f"{settings.analytics_database}__build_{uuid.uuid4().hex}"
    clickhouse_rows(settings, f"create database `{legacy}` engine = Atomic")
    dbt(settings, "build", "--exclude-resource-type", "unit_test")
    assert not clickhouse_rows(settings, f"select 1 from system.databases where name = '{legacy}'")
    assert settings.postgres_dsn
    # without live marts: every refresh that loaded something builds and publishes
    refresher = Refresher(settings.with_overrides(live_marts=False))
    detections, slices, deleted, databases, views = [], [], [], [], []
    made_by_the_cli = build_views(settings, "0")
    try:
        steps = ("start", "stream", "stream and mutate", "stream and hard delete",
                 "stream and admin refresh", "stream")  # fmt: skip
        for number, step in enumerate(steps):
            if "stream" in step:
                with psycopg.connect(settings.postgres_dsn, autocommit=True) as conn:
                    stream(conn, rate=400, duration=1.5, interval=0.5, seed=number)
            with psycopg.connect(settings.postgres_dsn) as conn:
                if "mutate" in step:
                    mutate(conn, seed=3, hard_deletes=0, hard_delete_campaign_channels=0)
                if "delete" in step:  # loaded impressions nothing refers to
                    conn.execute(
                        "delete from impressions where id in (select id from impressions i "
                        "where not exists (select from clicks where impression_id = i.id) "
                        "order by id desc offset 1000 limit 3)"
                    )
            result = asyncio.run(refresher.refresh(everything="admin" in step))
            assert result.status == "ok", result.error
            detections.append(result.change_detection)
            slices.append(result.test_slice)
            deleted.append(result.deleted)
            with contextlib.closing(warehouse.client(settings)) as db:
                build = published.current(db, settings).build
            assert_marts_equal_postgres(settings, build)
            databases.append(build.database.rsplit("_", 1)[-1])
            views.append(build_views(settings, databases[-1]))
    finally:
        refresher.close()
    # the CLI build took the first database; a database used longest ago is taken next
    assert databases == ["1", "2", "3", "0", "1", "2"]
    assert len(views[0]) >= 10 and set(views[0]) == set(made_by_the_cli)
    # the parse the refresher made is not the CLI's: each database's views were made again
    # once, then kept (the same parse, the admin refresh's full build included)
    assert views[3] != made_by_the_cli
    assert views[4] == views[0] and views[5] == views[1]
    assert detections == ["compare", "cursors", "cursors", "cursors", "compare", "cursors"]
    assert deleted == [{}, {}, {}, {"impressions": 3}, {}, {}]
    # the first build and the admin refresh run every test; the others a slice each
    assert slices == [None, "1/30", "2/30", "3/30", None, "5/30"]


def test_live_marts_publish_each_load_before_the_next_build(settings: Settings) -> None:
    """With live marts a refresh that loads events re-runs the live view and builds nothing:
    the published build reads today from it and the days before from its clone of the daily
    fact, so its KPI marts equal PostgreSQL after every load, while the clone is as of the
    build. A build without live marts publishes the plain table again; one with them, the
    view again."""
    import asyncio
    import dataclasses

    from campaign_analytics.service.refresh import Refresher

    live_source(settings, seed=33)
    load(settings)
    dbt(settings, "build", "--exclude-resource-type", "unit_test")  # no live marts
    assert settings.postgres_dsn

    def fact(build: published.Build, table: str = "fct_campaign_performance_daily") -> tuple:
        [(engine,)] = clickhouse_rows(
            settings,
            f"select engine from system.tables where database = '{build.database}' "
            f"and name = '{table}'",
        )
        [(today,)] = clickhouse_rows(
            settings,
            f"select sum(impressions) from `{build.database}`.`{table}` "
            "where date_day = toDate(now('UTC'))",
        )
        return engine, today

    def current() -> published.Build:
        with contextlib.closing(warehouse.client(settings)) as db:
            return published.current(db, settings).build

    plain = current()
    assert fact(plain)[0] == "AggregatingMergeTree"
    service = dataclasses.replace(settings.service, build_every_seconds=3600)
    refresher = Refresher(settings.with_overrides(service=service))
    try:
        first = asyncio.run(refresher.refresh())  # after a start: a build, with the live view
        assert first.status == "ok" and first.built and not first.live_refreshed, first.error
        build = current()
        assert build.invocation_id != plain.invocation_id and fact(build)[0] == "View"
        assert_marts_equal_postgres(settings, build)
        history = fact(build, "fct_campaign_performance_daily__history")
        for seed in (1, 2):
            with psycopg.connect(settings.postgres_dsn, autocommit=True) as conn:
                stream(conn, rate=400, duration=1.0, interval=0.5, seed=seed)
            result = asyncio.run(refresher.refresh())
            assert result.status == "ok" and result.live_refreshed, result.error
            assert not result.built and current() == build  # no build: the live view moved
            assert_marts_equal_postgres(settings, build)
        assert refresher.live_version == 2
        # the clone is as of the build: today's new impressions came through the live view
        assert fact(build, "fct_campaign_performance_daily__history") == history
        assert fact(build)[1] > (history[1] or 0)
        # a live view gone: that refresh fails, and the next builds as after a start, which
        # makes the view again
        view = f"`{settings.analytics_database}`.fct_campaign_performance_live_mv"
        clickhouse_rows(settings, f"drop view {view} sync")
        with psycopg.connect(settings.postgres_dsn, autocommit=True) as conn:
            stream(conn, rate=400, duration=0.5, interval=0.5, seed=3)
        failed = asyncio.run(refresher.refresh())
        assert failed.status == "failed" and "fct_campaign_performance_live_mv" in str(failed.error)
        rebuilt = asyncio.run(refresher.refresh())
        assert rebuilt.status == "ok" and rebuilt.built and rebuilt.full_tests, rebuilt.error
        assert clickhouse_rows(settings, f"exists table {view}") == [(1,)]
        assert_marts_equal_postgres(settings, current())
    finally:
        refresher.close()
    dbt(settings, "build", "--exclude-resource-type", "unit_test")
    again = current()
    assert fact(again)[0] == "AggregatingMergeTree"
    assert_marts_equal_postgres(settings, again)


def build_views(settings: Settings, number: str) -> dict[str, str]:
    """The UUID of each view in build database ``number`` (a view made again has a new one)."""
    database = f"{settings.analytics_database}__build_{number}"
    rows = clickhouse_rows(
        settings,
        f"select name, toString(uuid) from system.tables where database = '{database}' "
        "and engine = 'View'",
    )
    return dict(rows)


def test_hot_builds_run_every_test_between_them_a_slice_each(settings: Settings) -> None:
    """n consecutive hot builds, each with its slice of the suite, run every data test the
    project has on the source between them, each once, and a hot test in its slice on every
    day; the hot tier runs in every build on the recent days only. Hot builds skip the
    schema-change check that builds with every test keep."""
    from campaign_analytics.dbt_inprocess import DbtInProcess, hot_tests_from

    live_source(settings, seed=32)
    load(settings)
    dbt(settings, "build", "--exclude-resource-type", "unit_test")
    runner = DbtInProcess(settings)
    listed = dbt(settings, "ls", "--select", "source:ad_platform+", "--resource-type", "test",
                 "--output", "name", "--log-level", "none")  # fmt: skip
    suite = {name for name in listed.result if not name.startswith("test_")}  # unit tests
    hot = {"unique_combination_of_columns_fct_ad_events_event_type__event_id",
           "unique_combination_of_columns_fct_campaign_performance_daily_date_day__campaign_id__channel_id"}  # fmt: skip  # noqa: E501
    assert hot < suite and len(suite) > 100
    ran: list[str] = []
    for turn in range(3):
        result = runner.build_changed(["impressions", "clicks", "conversions"],
                                      full_tests=False, test_slice=(turn, 3))  # fmt: skip
        tests = {r.node.name: r.node for r in result.result.results
                 if r.node.resource_type == "test"}  # fmt: skip
        assert hot <= set(tests)
        for name in hot:  # in its slice on every day, else on the recent days
            day = "1970-01-01" if name in runner._suite_slice(turn, 3) else hot_tests_from()
            assert f"toDate('{day}')" in tests[name].compiled_code, name
        ran += [name for name in tests if name not in hot or name in runner._suite_slice(turn, 3)]
    assert sorted(ran) == sorted(suite)
    # after the first (a parse), the builds named their nodes as resolved once
    [resolved] = runner._selections.values()
    assert {selector.rsplit(".", 1)[-1] for selector in resolved} == {
        "fct_ad_events", "fct_campaign_performance_daily", *hot}  # fmt: skip

    # a hot build skips the incremental models' schema-change check (same SQL as before);
    # a build with every test keeps it: a column the model does not make fails it
    daily = f"`{settings.analytics_database}`.fct_campaign_performance_daily"
    with contextlib.closing(warehouse.client(settings)) as db:
        db.command(
            f"alter table {daily} add column stray SimpleAggregateFunction(sum, UInt64) default 0"
        )
        try:
            runner.build_changed(["impressions"], full_tests=False, test_slice=(0, 3))
            with pytest.raises(RuntimeError, match="fct_campaign_performance_daily"):
                runner.build_changed(["impressions"], full_tests=True)
        finally:
            db.command(f"alter table {daily} drop column stray")
        # fct_ad_events is appended to, which dbt-clickhouse does not check: its pre-hook does
        events = f"`{settings.analytics_database}`.fct_ad_events"
        db.command(f"alter table {events} add column stray UInt8 default 0")
        try:
            with pytest.raises(RuntimeError, match="fct_ad_events") as failed:
                runner.build_changed(["impressions"], full_tests=True)
            assert "out of sync" in str(failed.value) and "stray" in str(failed.value)
        finally:
            db.command(f"alter table {events} drop column stray")


# -- kill -9 --------------------------------------------------------------------------------------


@contextlib.contextmanager
def serve_process(settings: Settings, port: int, log: Path) -> Iterator[subprocess.Popen[str]]:
    env = settings_env(settings) | LIVE
    command = [CLI, "serve", "--port", str(port)]
    with log.open("a") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=output, text=True,
                                   start_new_session=True)  # fmt: skip
    try:
        yield process
    finally:
        if process.poll() is None:
            # SIGTERM waits for the running refresh; a build with every test on a loaded
            # machine can outlast a minute, and the test's assertions are done by now
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def settings_env(settings: Settings) -> dict[str, str]:
    return env_for(settings) | {"CA_API_KEY_CACHE_SECONDS": "0"}


def wait_ready(url: str, process: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        assert process.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, "serve never got ready"
        time.sleep(0.3)


def test_a_serve_killed_mid_refresh_loses_and_duplicates_nothing(
    make_database, tmp_path: Path
) -> None:
    # a data directory of its own: the serve processes hold it, not this one
    settings = load_settings(
        {
            "CA_DATA_DIR": str(tmp_path),
            "DBT_TARGET_PATH": str(tmp_path / "dbt_target"),
            "POSTGRES_DSN": make_database(),
            "CHDB_PATH": str(tmp_path / "chdb"),
        }
    )
    live_source(settings, seed=22)
    env = settings_env(settings)
    for step in (["load"], ["dbt", "build", "--exclude-resource-type", "unit_test"]):
        done = subprocess.run([CLI, *step], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    keys = viewer_keys(settings)
    log = tmp_path / "serve.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    changes = Source(settings, seconds=14)
    with serve_process(settings, port, log) as first:
        wait_ready(url, first, log)
        changes.start()
        with httpx.Client(base_url=url) as operations:
            wait_for_refreshes(operations, 3)
            # kill it while a refresh runs (it refreshes every second and takes longer)
            deadline = time.monotonic() + 60
            while not httpx.get(f"{url}/readyz").json().get("refreshing"):
                assert time.monotonic() < deadline, "no refresh seen running"
                time.sleep(0.05)
            time.sleep(0.3)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=30)
    with serve_process(settings, port, log) as second:
        wait_ready(url, second, log)
        changes.join()
        assert changes.error is None, changes.error
        with httpx.Client(base_url=url) as operations:
            admin = {"Authorization": f"Bearer {admin_key(settings)}"}
            refreshed = operations.post("/v1/admin/refresh", headers=admin, timeout=300)
            assert refreshed.json()["refresh"]["status"] == "ok", refreshed.text
            wait_for_refreshes(operations, refreshes(operations) + 2)
            assert assert_api_equals_postgres(url, settings, keys) >= 9
