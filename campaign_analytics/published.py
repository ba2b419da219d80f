"""The dbt build readers see: the newest one that on-run-end published.

A successful `dbt build` clones the public marts into a database of their own and records it
in `<analytics>.dbt_builds` (dbt_project/macros/publish_build.sql); a failed build is recorded
there too and published nowhere. Readers (the KPI report, the API) query the newest
published database, so they see one complete build, and can say when a newer attempt failed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from campaign_analytics.errors import UserFacingError
from campaign_analytics.settings import Settings

BUILDS_TABLE = "dbt_builds"


class NoPublishedBuildError(UserFacingError):
    """No dbt build has been published yet."""


@dataclass(frozen=True)
class Build:
    invocation_id: str
    status: str  # published, failed, not_published
    database: str
    finished_at: dt.datetime
    problems: tuple[str, ...]

    @property
    def short_id(self) -> str:
        return self.invocation_id[:8]

    def describe(self) -> str:
        return f"build {self.short_id} of {self.finished_at:%Y-%m-%d %H:%M} UTC"


@dataclass(frozen=True)
class Published:
    """The build to read, and the newest attempt when that one was not published."""

    build: Build
    newer_attempt: Build | None

    def qualified(self, table: str) -> str:
        return f"`{self.build.database}`.`{table}`"

    def warning(self) -> str | None:
        attempt = self.newer_attempt
        if attempt is None:
            return None
        what = "failed" if attempt.status == "failed" else "was not published"
        problems = "; ".join(attempt.problems[:3]) + ("; ..." if len(attempt.problems) > 3 else "")
        return (
            f"the last dbt build ({attempt.describe()}) {what} ({problems}); showing "
            f"{self.build.describe()} — fix it and run `make transform`"
        )


_COLUMNS = "invocation_id, status, published_database, finished_at, problems"


def _build(row: tuple[Any, ...]) -> Build:
    invocation_id, status, database, finished_at, problems = row
    if finished_at.tzinfo is None:  # DateTime64(3, 'UTC') comes back naive
        finished_at = finished_at.replace(tzinfo=dt.UTC)
    return Build(str(invocation_id), str(status), str(database), finished_at, tuple(problems))


def current(db: Any, settings: Settings) -> Published:
    """The published build, on ``db`` (a clickhouse-connect client on either target)."""
    table = f"`{settings.analytics_database}`.`{BUILDS_TABLE}`"
    exists = db.query(
        "select count() from system.tables where database = %(db)s and name = %(t)s",
        parameters={"db": settings.analytics_database, "t": BUILDS_TABLE},
    ).result_rows[0][0]
    rows = (
        db.query(
            f"select {_COLUMNS} from {table} order by finished_at desc limit 1 by status"
        ).result_rows
        if exists
        else []
    )
    builds = sorted((_build(row) for row in rows), key=lambda b: b.finished_at, reverse=True)
    published = next((b for b in builds if b.status == "published"), None)
    if published is None:
        raise NoPublishedBuildError(
            f"no dbt build has been published in {settings.analytics_database} yet; run "
            "`make transform` (dbt build)"
        )
    newest = builds[0]
    return Published(published, None if newest is published else newest)
