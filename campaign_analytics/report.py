"""The KPI report: rich tables, each one MetricQuery run through the metric compiler.

The report is a client of the same metrics layer as the insights API: every table is a
query over the catalog (dbt's semantic layer, read from the manifest), compiled against the
newest published dbt build and filtered by day and platform. Ratios are ratios of sums at
each table's grain, NULL (shown as "—") when the denominator is zero, computed by the SQL
functions dbt registers from its KPI macros.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from clickhouse_connect.driver.exceptions import DatabaseError
from rich.console import Console
from rich.table import Table

from campaign_analytics import published as published_builds
from campaign_analytics import warehouse
from campaign_analytics.errors import UserFacingError
from campaign_analytics.metrics.catalog import Catalog
from campaign_analytics.metrics.compiler import compile_query
from campaign_analytics.metrics.executor import execute
from campaign_analytics.metrics.query import Filter, MetricQuery, TimeRange
from campaign_analytics.settings import Settings


class ReportError(UserFacingError):
    """The report cannot be built as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Filters:
    """Days (UTC, both ends included) and platforms (channel names, any case) to report on."""

    start: dt.date | None = None
    end: dt.date | None = None
    platforms: tuple[str, ...] = ()

    def apply(self, query: MetricQuery) -> MetricQuery:
        filters = list(query.filters)
        if self.platforms:
            filters.append(Filter(dimension="platform", op="in", value=list(self.platforms)))
        return query.model_copy(
            update={"time": TimeRange(start=self.start, end=self.end), "filters": filters}
        )

    def describe(self) -> str:
        days = f"{self.start or 'first day'} to {self.end or 'last day'}"
        platforms = ", ".join(self.platforms) if self.platforms else "all platforms"
        return f"{days}, {platforms}"


@dataclass(frozen=True)
class Column:
    name: str
    key: str
    kind: str  # id, text, count, percent, money, ratio, date


@dataclass(frozen=True)
class Section:
    """One table of the report: its metric query and how to show its columns."""

    title: str
    query: MetricQuery
    columns: tuple[Column, ...]


@dataclass
class Result:
    section: Section
    column_names: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.column_names, row, strict=True)) for row in self.rows]


def sections(top: int = 10) -> list[Section]:
    campaign = (
        Column("campaign id", "campaign", "id"),
        Column("campaign", "campaign_name", "text"),
    )
    platform = (Column("channel id", "channel", "id"), Column("platform", "platform", "text"))
    return [
        Section(
            "CTR by campaign",
            MetricQuery(metrics=["impressions", "clicks", "ctr"], group_by=["campaign"]),
            (
                *campaign,
                Column("impressions", "impressions", "count"),
                Column("clicks", "clicks", "count"),
                Column("CTR", "ctr", "percent"),
            ),
        ),
        Section(
            "Daily impressions and clicks",
            MetricQuery(metrics=["impressions", "clicks", "ctr"], group_by=["day"]),
            (
                Column("day", "day", "date"),
                Column("impressions", "impressions", "count"),
                Column("clicks", "clicks", "count"),
                Column("CTR", "ctr", "percent"),
            ),
        ),
        Section(
            "CTR per advertiser",
            MetricQuery(metrics=["impressions", "clicks", "ctr"], group_by=["advertiser"]),
            (
                Column("advertiser id", "advertiser", "id"),
                Column("advertiser", "advertiser_name", "text"),
                Column("impressions", "impressions", "count"),
                Column("clicks", "clicks", "count"),
                Column("CTR", "ctr", "percent"),
            ),
        ),
        Section(
            "Conversion rate per campaign",
            MetricQuery(metrics=["clicks", "conversions", "cvr", "revenue"], group_by=["campaign"]),
            (
                *campaign,
                Column("clicks", "clicks", "count"),
                Column("conversions", "conversions", "count"),
                Column("CVR", "cvr", "percent"),
                Column("revenue", "revenue", "money"),
            ),
        ),
        Section(
            f"Top {top} channels by conversions",
            MetricQuery(
                metrics=["conversions", "clicks", "cvr", "revenue"],
                group_by=["channel"],
                order_by=["-conversions", "channel"],
                limit=top,
            ),
            (
                *platform,
                Column("conversions", "conversions", "count"),
                Column("clicks", "clicks", "count"),
                Column("CVR", "cvr", "percent"),
                Column("revenue", "revenue", "money"),
            ),
        ),
        Section(
            "Spend and ROAS per platform",
            MetricQuery(
                metrics=["spend", "revenue", "roas", "cpc", "cpm", "cpa"],
                group_by=["channel"],
                order_by=["-spend", "channel"],
            ),
            (
                *platform,
                Column("spend", "spend", "money"),
                Column("revenue", "revenue", "money"),
                Column("ROAS", "roas", "ratio"),
                Column("CPC", "cpc", "money"),
                Column("CPM", "cpm", "money"),
                Column("CPA", "cpa", "money"),
            ),
        ),
    ]


def _check_platforms(db: Any, catalog: Catalog, database: str, filters: Filters) -> None:
    if not filters.platforms:
        return
    compiled = compile_query(
        MetricQuery(metrics=["impressions"], group_by=["platform"]), catalog, database, None
    )
    known = {
        str(row["platform"]).lower(): str(row["platform"]) for row in execute(db, compiled).rows
    }
    unknown = [p for p in filters.platforms if p.lower() not in known]
    if unknown:
        raise ReportError(
            f"unknown platform {', '.join(unknown)}; known: {', '.join(sorted(known.values()))}"
        )


def _check_functions(db: Any, catalog: Catalog) -> None:
    wanted = {
        f"{catalog.function_prefix}{m.kpi_function}"
        for m in catalog.metrics.values()
        if m.kpi_function
    }
    found = {
        name
        for (name,) in db.query(
            "select name from system.functions where name in %(names)s",
            parameters={"names": tuple(sorted(wanted))},
        ).result_rows
    }
    missing = sorted(wanted - found)
    if missing:
        raise ReportError(
            f"KPI functions {', '.join(missing)} not found; run `make transform` (dbt build "
            "registers them)"
        )


@dataclass
class Report:
    """The report's tables, and the published dbt build they were read from."""

    published: published_builds.Published
    results: list[Result]


def collect(
    db: Any,
    settings: Settings,
    filters: Filters = Filters(),
    top: int = 10,
    catalog: Catalog | None = None,
) -> Report:
    """Run every section's query on ``db`` (a clickhouse-connect client), on the marts of
    the newest published dbt build."""
    if filters.start and filters.end and filters.start > filters.end:
        raise ReportError(f"--start {filters.start} is after --end {filters.end}")
    published = published_builds.current(db, settings)
    catalog = catalog or Catalog.load(settings.dbt_target_path / "manifest.json")
    _check_functions(db, catalog)
    _check_platforms(db, catalog, published.build.database, filters)
    results = []
    for section in sections(top):
        compiled = compile_query(
            filters.apply(section.query), catalog, published.build.database, None
        )
        answer = execute(db, compiled)
        results.append(
            Result(
                section,
                tuple(answer.columns),
                [tuple(row[c] for c in answer.columns) for row in answer.rows],
            )
        )
    return Report(published, results)


def _format(value: Any, kind: str) -> str:
    if value is None:
        # a NULL ratio has a zero denominator
        return "—"
    if kind == "percent":
        return f"{value:.2%}"
    if kind == "money":
        return f"{Decimal(str(value)):,.2f}"
    if kind == "ratio":
        return f"{value:,.2f}"
    if kind == "count":
        return f"{value:,}"
    return str(value)


def render(report: Report, filters: Filters, console: Console) -> None:
    build = report.published.build
    console.print(
        f"[bold]KPI report[/bold] ({filters.describe()}; from the dbt marts of {build.describe()})"
    )
    warning = report.published.warning()
    if warning:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    for result in report.results:
        table = Table(title=result.section.title)
        for column in result.section.columns:
            table.add_column(column.name, justify="left" if column.kind == "text" else "right")
        for record in result.records():
            table.add_row(*(_format(record[c.key], c.kind) for c in result.section.columns))
        if not result.rows:
            table.caption = "no data for these filters"
        console.print(table)


def print_report(
    settings: Settings,
    console: Console,
    filters: Filters = Filters(),
    top: int = 10,
) -> None:
    try:
        db = warehouse.client(settings)
    except DatabaseError as error:
        if "UNKNOWN_DATABASE" not in str(error):
            raise
        raise ReportError(
            f"database {settings.analytics_database} not found; run `make transform` "
            "(dbt build) first"
        ) from error
    try:
        report = collect(db, settings, filters, top)
    finally:
        db.close()
    render(report, filters, console)
