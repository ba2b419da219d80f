"""The daily ad report every platform module builds: one rest_api resource per account.

Each account is its own resource (and so keeps its own incremental state) writing the
platform's ``ad_report`` table. Rows are merged on (account, ad, day); the merge key
(account, day) makes a re-read day replace that account's day as a whole, so a restated day
leaves no stale row behind. The incremental cursor is the report day, re-read from
``last day - attribution_window_days`` (dlt's ``lag``, in days for a date cursor) up to
``end_date`` on every run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from dlt.common.schema.typing import TColumnSchema

from dlt_pipelines.ad_apis.http import ErrorCheck, raise_on_error

REPORT_TABLE = "ad_report"


def range_of_days(end_date: dt.date | None, initial_lookback_days: int) -> tuple[dt.date, dt.date]:
    """(first day of the first load, last day of every load): the last day defaults to today."""
    if initial_lookback_days < 1:
        raise ValueError(f"initial_lookback_days must be at least 1, not {initial_lookback_days}")
    end = end_date or dt.datetime.now(dt.UTC).date()
    return end - dt.timedelta(days=initial_lookback_days - 1), end


def incremental(cursor: str, initial: dt.date, lag_days: int) -> dict[str, Any]:
    return {"cursor_path": cursor, "initial_value": initial, "lag": lag_days}


def report_resource(
    *,
    account_id: str,
    endpoint: dict[str, Any],
    check: ErrorCheck,
    to_row: Callable[[dict[str, Any]], dict[str, Any]],
    primary_key: Sequence[str],
    merge_key: Sequence[str],
    columns: dict[str, TColumnSchema],
) -> dict[str, Any]:
    """A rest_api resource config for one account's daily ad report."""
    return {
        "name": f"{REPORT_TABLE}_{account_id}",
        "table_name": REPORT_TABLE,
        "write_disposition": {"disposition": "merge", "strategy": "delete-insert"},
        "primary_key": list(primary_key),
        "merge_key": list(merge_key),
        "columns": columns,
        "endpoint": {**endpoint, "response_actions": [raise_on_error(check)]},
        "processing_steps": [{"map": to_row}],
    }


def text(nullable: bool = True) -> TColumnSchema:
    return {"data_type": "text", "nullable": nullable}


def count() -> TColumnSchema:
    return {"data_type": "bigint", "nullable": False}


def money() -> TColumnSchema:
    # micro-units exactly: Google reports cost in micros, the others in decimal strings
    return {"data_type": "decimal", "precision": 18, "scale": 6, "nullable": False}


def day() -> TColumnSchema:
    return {"data_type": "date", "nullable": False}


def as_int(value: Any) -> int:
    """A count as the platforms send it: a JSON number, a numeric string, or absent (0)."""
    return int(value) if value not in (None, "") else 0


def as_decimal(value: Any) -> Decimal:
    """Money from a JSON string or number, exactly (a float goes through its shortest repr)."""
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)
