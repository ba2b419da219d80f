"""Response models of the insights API (pydantic): what the OpenAPI document promises."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from campaign_analytics.metrics.query import MetricQuery

Number = float | int | None


class Meta(BaseModel):
    data_version: str = Field(
        description="the published dbt build the answer comes from (`<build>+live<n>`: and "
        "the n-th refresh of its live marts, which hold yesterday and today)"
    )
    data_published_at: dt.datetime
    cache: Literal["hit", "miss"]
    elapsed_ms: float = Field(description="time in ClickHouse when computed (0 on a hit)")
    rows_read: int


class QueryResponse(BaseModel):
    query: MetricQuery = Field(description="the query as resolved (grain folded into group_by)")
    rows: list[dict[str, Any]] = Field(
        description="objects keyed by dimension and metric names, e.g. "
        '{"platform": "Google", "spend": 812.4, "roas": 3.1}'
    )
    meta: Meta


INSIGHT_METRICS = (
    "impressions",
    "clicks",
    "conversions",
    "spend",
    "revenue",
    "ctr",
    "cvr",
    "cpc",
    "cpm",
    "cpa",
    "roas",
)


class Insights(BaseModel):
    campaign_id: int
    campaign_name: str
    advertiser_id: int
    from_: dt.date | None = Field(None, alias="from", serialization_alias="from")
    to: dt.date | None = None
    platform: str | None = None
    grain: str | None = None
    totals: dict[str, Number]
    series: list[dict[str, Any]] | None = Field(
        None, description="one object per period (`period`: its first day) when grain is given"
    )
    meta: Meta

    model_config = {"populate_by_name": True}


class Campaign(BaseModel):
    campaign_id: int
    name: str
    advertiser_id: int
    status: str
    start_date: dt.date
    end_date: dt.date
    is_deleted: bool
    platforms: list[str]


class Campaigns(BaseModel):
    campaigns: list[Campaign]
    data_version: str


class MetricInfo(BaseModel):
    name: str
    label: str
    description: str
    type: str
    inputs: list[str | None]
    format: str
    dimensions: list[str]


class DimensionInfo(BaseModel):
    name: str
    description: str
    metricflow_name: str


class Catalog(BaseModel):
    metrics: list[MetricInfo]
    dimensions: list[DimensionInfo]


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    data_version: str | None
    data_published_at: dt.datetime | None
    cache: str
    refresh: dict[str, Any] | None = None  # the last refresh of this process
    refreshing: bool = False  # a refresh is running now
    problem: str | None = None


class RefreshAnswer(BaseModel):
    refresh: dict[str, Any]
    data_version: str | None
    previous_data_version: str | None


class Problem(BaseModel):
    detail: str | list[Any]


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "no bearer token, or one that is not valid"},
    403: {"model": Problem, "description": "the token may not do this"},
    404: {"model": Problem, "description": "no such campaign for this advertiser"},
    409: {"model": Problem, "description": "in-process refresh is off"},
    422: {"model": Problem, "description": "unknown metric, dimension or platform, or bad input"},
    429: {"model": Problem, "description": "over a rate or concurrency limit; see Retry-After"},
    503: {"model": Problem, "description": "no published build yet"},
    504: {"model": Problem, "description": "the query ran past the timeout"},
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: ERRORS[code] for code in codes}
