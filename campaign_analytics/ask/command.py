"""`campaign-analytics ask "..."`: one question on the newest published build, like `kpis`."""

from __future__ import annotations

import datetime as dt

from clickhouse_connect.driver.exceptions import DatabaseError
from rich.console import Console
from rich.markup import escape

from campaign_analytics import published as published_builds
from campaign_analytics import warehouse
from campaign_analytics.ask.answer import ask, runner
from campaign_analytics.ask.models import AskAnswer
from campaign_analytics.errors import UserFacingError
from campaign_analytics.metrics.campaigns import list_campaigns
from campaign_analytics.metrics.catalog import Catalog
from campaign_analytics.settings import Settings


class AskUsageError(UserFacingError):
    """The command line names no usable advertiser or day."""


def parse_today(value: str | None) -> dt.date:
    """--today, or today in UTC (the warehouse's days)."""
    if value is None:
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise AskUsageError(f"--today {value!r} is not a YYYY-MM-DD date") from None


def answer_question(
    settings: Settings, question: str, advertiser_id: int | None, today: dt.date
) -> tuple[AskAnswer, str | None]:
    """The answer, and the published build's warning (a newer build failed) if any."""
    try:
        db = warehouse.client(settings)
    except DatabaseError as error:
        if "UNKNOWN_DATABASE" not in str(error):
            raise
        raise AskUsageError(
            f"database {settings.analytics_database} not found; run `make transform` (dbt "
            "build) first"
        ) from error
    try:
        published = published_builds.current(db, settings)
        database = published.build.database
        catalog = Catalog.load(settings.dbt_target_path / "manifest.json")
        everyone = list_campaigns(db, database, None)
        advertisers = sorted({c.advertiser_id for c in everyone})
        if advertiser_id is None:
            if len(advertisers) != 1:
                listed = ", ".join(map(str, advertisers[:10])) or "none"
                raise AskUsageError(
                    f"{len(advertisers)} advertisers in {published.build.describe()} "
                    f"({listed}); pass --advertiser-id N"
                )
            advertiser_id = advertisers[0]
        elif advertiser_id not in advertisers:
            listed = ", ".join(map(str, advertisers[:10])) or "none"
            raise AskUsageError(
                f"advertiser {advertiser_id} has no campaigns in {published.build.describe()}; "
                f"advertisers: {listed}"
            )
        answer = ask(
            question,
            tenant=advertiser_id,
            today=today,
            run=runner(db, catalog, database, advertiser_id),
            campaigns=[c for c in everyone if c.advertiser_id == advertiser_id],
            catalog=catalog,
            data_version=published.build.invocation_id,
        )
    finally:
        db.close()
    return answer, published.warning()


def render(answer: AskAnswer, console: Console) -> None:
    # one sentence per line, never wrapped: it is pasted into chats and scripts
    if answer.answer is not None:
        console.print(escape(answer.answer), highlight=False, soft_wrap=True)
        return
    assert answer.clarification is not None
    console.print(escape(answer.clarification.question), highlight=False, soft_wrap=True)
    for option in answer.clarification.options:
        console.print(f"  - {escape(option)}", highlight=False, soft_wrap=True)
