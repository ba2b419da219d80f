"""dbt in this process (dbtRunner), with the settings' environment and a reused manifest.

A new dbt process costs seconds of imports and parsing before the first node; the serve
process refreshes every minute (and, live, every few seconds), so it runs dbt in-process and
parses the project again only when a project file changed. dbt-core allows one invocation at
a time per process: callers serialize them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
from collections.abc import Iterator
from typing import Any

from campaign_analytics.errors import one_line
from campaign_analytics.settings import DBT_PROJECT_DIR, Settings

PROJECT_FILES = ("models", "macros", "tests", "seeds", "snapshots", "dbt_project.yml")
# what a live build builds besides its hot tests
BUILT_KINDS = ("model", "snapshot", "seed")
# the hot tests check this many days back from today (UTC): the days live events land on,
# late ones included (the attribution window is longer, and the full tests cover it)
HOT_TEST_DAYS = 2


def hot_tests_from() -> dt.date:
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=HOT_TEST_DAYS)


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in os.environ for the block (profiles.yml and sources read them)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def invoke(settings: Settings, *args: str, manifest: Any = None, quiet: bool = True) -> Any:
    """``dbt <args>`` on the project, with the settings' environment; dbt's result."""
    from dbt.cli.main import dbtRunner

    paths = [
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(settings.dbt_target_path),
        "--log-path",
        str(settings.data_dir / "dbt_logs"),
    ]
    # dbt's usage statistics end each invocation with an HTTP POST to its collector (timeout
    # 5 s), inside the build: a live loop invokes dbt every few seconds, so it sends none
    # unless DBT_SEND_ANONYMOUS_USAGE_STATS asks for them
    tracking = os.environ.get("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    with environment({**settings.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": tracking}):
        return dbtRunner(manifest=manifest).invoke([*args, *paths, *(["--quiet"] if quiet else [])])


def failures(result: Any) -> list[str]:
    """`node: status: message` of every node that did not pass."""
    return [
        f"{node.node.name}: {node.status}: {one_line(node.message or '')}"
        for node in getattr(result.result, "results", None) or []
        if str(node.status) not in {"success", "pass", "skipped", "warn"}
    ]


class DbtInProcess:
    """`dbt build` reusing the parsed manifest until the project changes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._manifest: Any = None
        self._parsed_at = 0.0
        self._suite: list[str] | None = None  # the data tests a full build runs, by name
        self._selections: dict[tuple[str, ...], list[str]] = {}  # see _resolved

    def _project_changed(self) -> bool:
        newest = 0.0
        for name in PROJECT_FILES:
            path = DBT_PROJECT_DIR / name
            files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
            newest = max([newest, *(f.stat().st_mtime for f in files if f.is_file())])
        return newest > self._parsed_at

    def build_changed(
        self,
        tables: list[str],
        *,
        full_tests: bool,
        events_changed_since: dict[str, str] | None = None,
        events_deleted: dict[str, list[int]] | None = None,
        test_slice: tuple[int, int] | None = None,
    ) -> Any:
        """Build what the loaded source ``tables`` feed (`source:ad_platform.<t>+`).

        A hot build (``full_tests`` False) runs only the hot tier of data tests (tagged `hot`:
        the facts' primary keys, on the last HOT_TEST_DAYS days; macros/hot_tests.sql): the
        others read whole tables. The models' own checks (contracts) still run. Every test
        runs on the admin refresh and in `make transform`; a failure leaves the API on the
        last published build.

        ``test_slice`` (k, n): the hot build also runs the k-th of n slices of every data
        test (on every day), so n consecutive live builds run the whole suite between them
        at a few tests' cost each, instead of one build in n running all ~200 (seconds).

        ``events_changed_since``: each event table's cursor (updated_at, ISO) at the last
        successful build, when every change since is a new row version (no hard delete):
        fct_ad_events then finds the changed events past them instead of comparing every id
        (var `ad_events_changed_since`, macros/ad_events.sql). ``events_deleted``: the ids
        hard-deleted from each event table since, which left no row to find there (var
        `ad_events_deleted`): their chains are looked up in the fact."""
        if not tables:
            raise ValueError("no source tables to build from")
        # a view reads its inputs when queried: a hot build skips it unless its SQL may have
        # changed, i.e. the project was parsed again (a first build, a changed file); the
        # full tests build the views too, since excluding a model excludes its tests
        reparsed = self._parse_if_changed()
        # the live marts' refreshable views are refreshed after each load (service/
        # refresh.py): a hot build leaves them too
        views = (
            []
            if full_tests or reparsed
            else ["--exclude", "config.materialized:view", "config.materialized:materialized_view"]
        )
        downstream = [f"source:ad_platform.{table}+" for table in tables]
        variables: dict[str, Any] = {}
        if events_changed_since:
            variables["ad_events_changed_since"] = events_changed_since
            if events_deleted and any(events_deleted.values()):
                variables["ad_events_deleted"] = events_deleted
        # the parse this build's SQL comes from: a build database whose views were made from
        # it keeps them (macros/publish_build.sql)
        variables["project_version"] = self._manifest.metadata.invocation_id
        if not (full_tests or reparsed):
            # the same SQL as the build before it (nothing parsed since): the incremental
            # models' columns cannot have changed and the KPI functions stand; checking and
            # recreating them costs a sixth of a hot build (macros/unchanged_project.sql)
            variables["project_unchanged"] = True
        if full_tests:
            selection = ["--select", *downstream]
        else:
            variables["hot_tests_from"] = hot_tests_from().isoformat()
            # everything downstream but the data tests, and the hot ones on the recent days
            sliced = self._suite_slice(*test_slice) if test_slice else []
            # named tests stay selected when their views are excluded (they read the
            # published views, whose SQL has not changed)
            variables["all_days_tests"] = sliced
            hot = [
                *(f"{d},resource_type:{kind}" for d in downstream for kind in BUILT_KINDS),
                *(f"{d},tag:hot" for d in downstream),
            ]
            resolved = [] if reparsed else self._resolved(tables, [*hot, *views])
            if resolved:  # the same nodes as the last hot build of these tables, by name
                hot, views = resolved, []
            selection = [
                "--select",
                *hot,
                *sliced,
                "--indirect-selection",  # the models' other tests are not selected with them
                "empty",
            ]
        if variables:
            selection += ["--vars", json.dumps(variables)]
        # --no-write-json: the manifest (the service's metric catalog) changes only when the
        # project does, and `dbt parse` writes it then; rewriting 1 MB per build would make
        # readers re-load it every few seconds (and catch it half-written)
        return self.build(
            *selection, *views, "--exclude-resource-type", "unit_test", "--no-write-json"
        )

    def live_views(self) -> list[str]:
        """The refreshable views of the parsed project's live marts (a model of materialized
        `materialized_view` whose meta names the table it `completes`), quoted; none
        before the first parse."""
        if self._manifest is None:
            return []
        return [
            f"`{node.schema}`.`{node.alias}_mv`"
            for node in self._manifest.nodes.values()
            if node.resource_type == "model"
            and node.config.materialized == "materialized_view"
            and node.config.meta.get("completes")
        ]

    def _resolved(self, tables: list[str], selection: list[str]) -> list[str]:
        """The nodes ``selection`` selects, as exact selectors, resolved once per parse.

        dbt evaluates a build's selection three times (with and without unit tests, then
        for the queue), each criterion a pass over the graph: ~30 criteria a hot build
        (source x resource type) cost more than the few nodes they name."""
        key = tuple(sorted(tables))
        if key not in self._selections:
            self._selections[key] = self._listed(
                "--select", *selection, "--indirect-selection", "empty",
                "--exclude-resource-type", "unit_test", "--output", "selector",
            )  # fmt: skip
        return self._selections[key]

    def _listed(self, *args: str) -> list[str]:
        """`dbt ls <args>` on the parsed manifest: what it lists, sorted."""
        # --log-level none: the listing is the result, not a log line on stdout
        listed = invoke(self.settings, "ls", *args, "--log-level", "none", manifest=self._manifest)
        if not listed.success:
            raise RuntimeError(f"dbt ls failed: {one_line(listed.exception or '')}")
        return sorted(listed.result)

    def _suite_slice(self, index: int, count: int) -> list[str]:
        """The ``index``-th of ``count`` round-robin slices of the full build's data tests."""
        if not 0 <= index < count:
            raise ValueError(f"test slice {index} of {count} does not exist")
        if self._suite is None:
            listed = self._listed(
                "--select", "source:ad_platform+", "--resource-type", "test", "--output", "name"
            )
            unit_tests = {test.name for test in self._manifest.unit_tests.values()}
            self._suite = sorted(set(listed) - unit_tests)
        return self._suite[index::count]

    def _parse_if_changed(self) -> bool:
        """Parse the project when it changed since the last parse; whether it was parsed."""
        if self._manifest is not None and not self._project_changed():
            return False
        started = time.time()
        parsed = invoke(self.settings, "parse")
        if not parsed.success:
            raise RuntimeError(f"dbt parse failed: {one_line(parsed.exception or '')}")
        self._manifest, self._parsed_at, self._suite = parsed.result, started, None
        self._selections.clear()
        return True

    def build(self, *selection: str) -> Any:
        self._parse_if_changed()
        result = invoke(self.settings, "build", *selection, manifest=self._manifest)
        if not result.success:
            problems = failures(result)
            raise RuntimeError(
                "dbt build failed (not published): "
                + ("; ".join(problems[:5]) or one_line(result.exception or "unknown error"))
            )
        return result
