"""MetricQuery: what `POST /v1/query` accepts, and what a plain-English question becomes.

The shape follows Cube's and MetricFlow's query requests: metrics, group-by dimensions
(entities, their attributes and time grains), an inclusive day range, filters, order, limit.
Names are checked against the catalog by the compiler, which answers an unknown one by
naming the valid ones.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 1_000
MAX_GROUP_BY = 6

Grain = Literal["day", "week", "month", "quarter"]
FilterValue = Annotated[
    str | int | list[str] | list[int], Field(description="a value, or a list for in/not_in")
]


class TimeRange(BaseModel):
    """Days in UTC, both ends included; either end may be left open."""

    model_config = ConfigDict(extra="forbid")

    start: dt.date | None = Field(None, description="first day (YYYY-MM-DD), inclusive")
    end: dt.date | None = Field(None, description="last day (YYYY-MM-DD), inclusive")
    grain: Grain | None = Field(
        None, description="shorthand for adding the grain (day, week, month, quarter) to group_by"
    )

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"time.start {self.start} is after time.end {self.end}")
        return self


class Filter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dimension: str = Field(description="a dimension name (GET /v1/metrics lists them)")
    op: Literal["eq", "ne", "in", "not_in"] = "eq"
    value: FilterValue

    @model_validator(mode="after")
    def _list_for_in(self) -> Filter:
        is_list = isinstance(self.value, list)
        if self.op in {"in", "not_in"} and not is_list:
            raise ValueError(f"filter on {self.dimension}: op {self.op} takes a list value")
        if self.op in {"eq", "ne"} and is_list:
            raise ValueError(f"filter on {self.dimension}: op {self.op} takes a single value")
        if is_list and not self.value:
            raise ValueError(f"filter on {self.dimension}: an empty list matches nothing")
        return self


class MetricQuery(BaseModel):
    """A query over the metric catalog: the body of `POST /v1/query`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "metrics": ["spend", "roas"],
                    "group_by": ["platform"],
                    "time": {"start": "2026-11-01", "end": "2026-11-30"},
                    "filters": [{"dimension": "platform", "op": "in", "value": ["Google"]}],
                    "order_by": ["-spend"],
                    "limit": 100,
                }
            ]
        },
    )

    metrics: list[str] = Field(min_length=1, max_length=20)
    group_by: list[str] = Field(default_factory=list, max_length=MAX_GROUP_BY)
    time: TimeRange = Field(default_factory=TimeRange)
    filters: list[Filter] = Field(default_factory=list, max_length=20)
    order_by: list[str] = Field(
        default_factory=list, max_length=6, description="metric or group_by names; '-' descends"
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)

    @model_validator(mode="after")
    def _grain_fits(self) -> MetricQuery:
        # time.grain is folded into group_by (normalized), so it counts against the same cap
        folded = set(self.group_by) | ({self.time.grain} if self.time.grain else set())
        if len(folded) > MAX_GROUP_BY:
            raise ValueError(
                f"group_by with time.grain makes {len(folded)} dimensions; at most {MAX_GROUP_BY}"
            )
        return self

    def normalized(self) -> MetricQuery:
        """The same query in one canonical form (the cache key): grain folded into group_by,
        duplicates dropped, filters sorted."""
        group_by = list(dict.fromkeys(self.group_by))
        if self.time.grain and self.time.grain not in group_by:
            group_by.append(self.time.grain)
        return MetricQuery(
            metrics=list(dict.fromkeys(self.metrics)),
            group_by=group_by,
            time=TimeRange(start=self.time.start, end=self.time.end),
            filters=sorted(self.filters, key=lambda f: (f.dimension, f.op, str(f.value))),
            order_by=list(dict.fromkeys(self.order_by)),
            limit=self.limit,
        )
