"""Run a compiled metric query on ClickHouse (either target) and shape its rows."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from campaign_analytics.metrics.compiler import CompiledQuery


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[dict[str, Any]]
    rows_read: int
    elapsed_ms: float


def execute(
    db: Any, compiled: CompiledQuery, settings: dict[str, Any] | None = None
) -> QueryResult:
    """``compiled`` on ``db`` (a clickhouse-connect client); values as ClickHouse returns
    them (Decimal money, date days, None for a ratio with a zero denominator)."""
    started = time.perf_counter()
    answer = db.query(compiled.sql, parameters=compiled.parameters, settings=settings or {})
    columns = list(answer.column_names)
    rows = [dict(zip(columns, row, strict=True)) for row in answer.result_rows]
    summary = answer.summary or {}
    return QueryResult(
        columns=columns,
        rows=rows,
        rows_read=int(summary.get("read_rows", 0) or 0),
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )


def jsonable(value: Any) -> Any:
    """A row value as JSON: money as a number, days as YYYY-MM-DD."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
