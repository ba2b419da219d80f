"""The KPI report: rich tables read from the dbt marts.

Every table is an aggregation of one mart, ``rpt_campaign_channel_daily_performance`` (one row
per day, campaign and channel with additive measures), filtered by day and platform. The
ratios are ratios of sums at each table's grain, NULL (shown as "—") when the denominator is
zero, computed by the SQL functions dbt registers from its KPI macros, which the KPI marts use.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml
from clickhouse_connect.driver.exceptions import DatabaseError
from rich.console import Console
from rich.table import Table

from campaign_analytics import published as published_builds
from campaign_analytics import warehouse
from campaign_analytics.errors import UserFacingError
from campaign_analytics.settings import DBT_PROJECT_DIR, Settings

MART = "rpt_campaign_channel_daily_performance"


class ReportError(UserFacingError):
    """The report cannot be built as asked; the message says why and what to do."""


# Each KPI is the SQL function dbt registers from its macro (macros/kpi_functions.sql), called
# on the sums at each table's grain: the formulas live in dbt_project/macros/kpis.sql only.
KPI_FUNCTION_PREFIX = (
    yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["name"] + "_"
)
KPI_ARGUMENTS = {
    "ctr": "clicks, impressions",
    "cvr": "conversions, clicks",
    "cpc": "spend, clicks",
    "cpm": "spend, impressions",
    "cpa": "spend, conversions",
    "roas": "revenue, spend",
}
KPIS = {kpi: f"{KPI_FUNCTION_PREFIX}{kpi}({args})" for kpi, args in KPI_ARGUMENTS.items()}
MEASURES = {
    "impressions": "sum(impressions)",
    "clicks": "sum(clicks)",
    "conversions": "sum(conversions)",
    "spend": "sum(spend)",
    "revenue": "sum(revenue)",
}


@dataclass(frozen=True)
class Filters:
    """Days (UTC, both ends included) and platforms (channel names, any case) to report on."""

    start: dt.date | None = None
    end: dt.date | None = None
    platforms: tuple[str, ...] = ()

    def where(self) -> tuple[str, dict[str, Any]]:
        conditions, parameters = ["true"], {}
        if self.start:
            conditions.append("date_day >= %(start)s")
            parameters["start"] = self.start
        if self.end:
            conditions.append("date_day <= %(end)s")
            parameters["end"] = self.end
        if self.platforms:
            conditions.append("lower(channel_name) in %(platforms)s")
            parameters["platforms"] = tuple(p.lower() for p in self.platforms)
        return " and ".join(conditions), parameters

    def describe(self) -> str:
        days = f"{self.start or 'first day'} to {self.end or 'last day'}"
        platforms = ", ".join(self.platforms) if self.platforms else "all platforms"
        return f"{days}, {platforms}"


@dataclass(frozen=True)
class Column:
    name: str
    key: str
    kind: str  # id, text, count, percent, money, ratio, date, rank


@dataclass(frozen=True)
class Section:
    """One table of the report: its query over the mart and how to show its columns."""

    title: str
    group_by: tuple[str, ...]
    measures: tuple[str, ...]
    kpis: tuple[str, ...]
    order_by: str
    columns: tuple[Column, ...]
    where: str = "true"
    limit: int | None = None

    def sql(self, filters: Filters, source: str = MART) -> tuple[str, dict[str, Any]]:
        """The query and its parameters; ``source`` replaces the mart (the bench's baseline)."""
        condition, parameters = filters.where()
        inner = ", ".join([*self.group_by, *(f"{MEASURES[m]} as {m}" for m in self.measures)])
        # ratios in an outer query: in ClickHouse `sum(clicks) as clicks` would make a later
        # `sum(clicks)` in the same select refer to the alias
        outer = ", ".join(["*", *(f"{KPIS[k]} as {k}" for k in self.kpis)])
        sql = (
            f"select {outer} from (select {inner} from {source} "
            f"where {condition} and {self.where} group by {', '.join(self.group_by)}) "
            f"order by {self.order_by}"
        )
        if self.limit:
            sql += f" limit {int(self.limit)}"
        return sql, parameters


@dataclass
class Result:
    section: Section
    column_names: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.column_names, row, strict=True)) for row in self.rows]


def sections(top: int = 10) -> list[Section]:
    campaign = (
        Column("campaign id", "campaign_id", "id"),
        Column("campaign", "campaign_name", "text"),
    )
    return [
        Section(
            title="CTR by campaign",
            group_by=("campaign_id", "campaign_name"),
            measures=("impressions", "clicks"),
            kpis=("ctr",),
            order_by="campaign_id",
            columns=(
                *campaign,
                Column("impressions", "impressions", "count"),
                Column("clicks", "clicks", "count"),
                Column("CTR", "ctr", "percent"),
            ),
        ),
        Section(
            title="Daily impressions and clicks",
            group_by=("date_day",),
            measures=("impressions", "clicks"),
            kpis=("ctr",),
            order_by="date_day",
            columns=(
                Column("day", "date_day", "date"),
                Column("impressions", "impressions", "count"),
                Column("clicks", "clicks", "count"),
                Column("CTR", "ctr", "percent"),
            ),
        ),
        Section(
            title="CTR per advertiser",
            group_by=("advertiser_id", "advertiser_name"),
            measures=("impressions", "clicks"),
            kpis=("ctr",),
            order_by="advertiser_id",
            columns=(
                Column("advertiser id", "advertiser_id", "id"),
                Column("advertiser", "advertiser_name", "text"),
                Column("impressions", "impressions", "count"),
                Column("clicks", "clicks", "count"),
                Column("CTR", "ctr", "percent"),
            ),
        ),
        Section(
            title="Conversion rate per campaign",
            group_by=("campaign_id", "campaign_name"),
            measures=("clicks", "conversions", "revenue"),
            kpis=("cvr",),
            order_by="campaign_id",
            columns=(
                *campaign,
                Column("clicks", "clicks", "count"),
                Column("conversions", "conversions", "count"),
                Column("CVR", "cvr", "percent"),
                Column("revenue", "revenue", "money"),
            ),
        ),
        Section(
            title=f"Top {top} channels by conversions",
            group_by=("channel_id", "channel_name"),
            measures=("clicks", "conversions", "revenue"),
            kpis=("cvr",),
            order_by="conversions desc, channel_id",
            limit=top,
            columns=(
                Column("channel id", "channel_id", "id"),
                Column("channel", "channel_name", "text"),
                Column("conversions", "conversions", "count"),
                Column("clicks", "clicks", "count"),
                Column("CVR", "cvr", "percent"),
                Column("revenue", "revenue", "money"),
            ),
        ),
        Section(
            title="Spend and ROAS per platform",
            group_by=("channel_id", "channel_name"),
            measures=("impressions", "clicks", "conversions", "spend", "revenue"),
            kpis=("roas", "cpc", "cpm", "cpa"),
            order_by="spend desc, channel_id",
            columns=(
                Column("channel id", "channel_id", "id"),
                Column("platform", "channel_name", "text"),
                Column("spend", "spend", "money"),
                Column("revenue", "revenue", "money"),
                Column("ROAS", "roas", "ratio"),
                Column("CPC", "cpc", "money"),
                Column("CPM", "cpm", "money"),
                Column("CPA", "cpa", "money"),
            ),
        ),
    ]


def _check_platforms(db: Any, mart: str, filters: Filters) -> None:
    if not filters.platforms:
        return
    known = {
        str(name).lower(): str(name)
        for (name,) in db.query(
            f"select distinct channel_name from {mart} where channel_name is not null"
        ).result_rows
    }
    unknown = [p for p in filters.platforms if p.lower() not in known]
    if unknown:
        raise ReportError(
            f"unknown platform {', '.join(unknown)}; known: {', '.join(sorted(known.values()))}"
        )


@dataclass
class Report:
    """The report's tables, and the published dbt build they were read from."""

    published: published_builds.Published
    results: list[Result]


def collect(db: Any, settings: Settings, filters: Filters = Filters(), top: int = 10) -> Report:
    """Run every section's query on ``db`` (a clickhouse-connect client), on the marts of
    the newest published dbt build."""
    if filters.start and filters.end and filters.start > filters.end:
        raise ReportError(f"--start {filters.start} is after --end {filters.end}")
    published = published_builds.current(db, settings)
    mart = published.qualified(MART)
    functions = {
        name
        for (name,) in db.query(
            "select name from system.functions where startsWith(name, %(prefix)s)",
            parameters={"prefix": KPI_FUNCTION_PREFIX},
        ).result_rows
    }
    missing = sorted(set(KPIS) - {name.removeprefix(KPI_FUNCTION_PREFIX) for name in functions})
    if missing:
        raise ReportError(
            f"KPI functions {', '.join(KPI_FUNCTION_PREFIX + m for m in missing)} not found; "
            "run `make transform` (dbt build registers them)"
        )
    _check_platforms(db, mart, filters)
    results = []
    for section in sections(top):
        sql, parameters = section.sql(filters, source=mart)
        answer = db.query(sql, parameters=parameters)
        results.append(Result(section, tuple(answer.column_names), list(answer.result_rows)))
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
