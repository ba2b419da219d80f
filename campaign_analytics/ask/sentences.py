"""The answer as one sentence: numbers formatted by kind, the period spelled out.

Percent for CTR and CVR, money with the currency for spend, revenue, CPC, CPM and CPA, a
plain ratio for ROAS and frequency, counts with thousands separators. A ratio whose
denominator is zero is "not defined" and says which denominator, never 0.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from campaign_analytics.ask.parser import Parsed
from campaign_analytics.ask.periods import unit_label
from campaign_analytics.metrics.catalog import Catalog

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
MAX_LISTED = 7  # rows spelled out in a sentence; the rest are in `rows`


def format_value(value: Any, kind: str, currency: str | None) -> str:
    if value is None:
        return "not defined"
    if kind == "percent":
        return f"{float(value):.2%}"
    if kind == "money":
        amount = f"{Decimal(str(value)):,.2f}"
        if currency in CURRENCY_SYMBOLS:
            return f"{CURRENCY_SYMBOLS[currency]}{amount}"
        return f"{amount} {currency}" if currency else f"{amount} (mixed currencies)"
    if kind == "ratio":
        return f"{float(value):,.2f}"
    return f"{int(value):,}"


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _member(row: dict[str, Any], dimension: str) -> str:
    """How a row names its group: a campaign by name, a grain by its period."""
    if dimension == "campaign":
        return f"\u201c{row.get('campaign_name') or row['campaign']}\u201d"
    if dimension == "day":
        day = _day(row["day"])
        return f"{day.day} {day:%b}"
    if dimension in {"week", "month", "quarter"}:
        return unit_label(_day(row[dimension]), dimension)
    return str(row[dimension])


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


class Sentence:
    def __init__(self, parsed: Parsed, catalog: Catalog, currency: str | None) -> None:
        self.parsed = parsed
        self.catalog = catalog
        self.currency = currency

    def value(self, metric: str, row: dict[str, Any]) -> str:
        spec = self.catalog.metrics[metric]
        text = format_value(row.get(metric), spec.format, self.currency)
        if row.get(metric) is None and spec.inputs:
            text += f" (no {spec.inputs[-1]})"
        return text

    def label(self, metric: str) -> str:
        return self.catalog.metrics[metric].label

    def values(self, row: dict[str, Any]) -> str:
        metrics = self.parsed.metrics
        if len(metrics) == 1:
            return self.value(metrics[0], row)
        return ", ".join(f"{self.label(m)} {self.value(m, row)}" for m in metrics)

    def subject(self, first: bool = True) -> str:
        """ "ROAS on Google for “X”": what was measured, and where (``first``: it starts the
        sentence; otherwise a word label is lower case, an acronym stays)."""
        parsed = self.parsed
        labels = [self.label(m) for m in parsed.metrics]
        if not first:
            labels = [label if label.isupper() else label.lower() for label in labels]
        what = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
        if parsed.status:
            what += f" of {parsed.status} campaigns"
        if parsed.platforms:
            what += f" on {' and '.join(parsed.platforms)}"
        if parsed.campaigns:
            names = " and ".join(f"\u201c{c.name}\u201d" for c in parsed.campaigns)
            what += f" for {parsed.latest}, {names}" if parsed.latest else f" for {names}"
        return what

    def period(self) -> str:
        period = self.parsed.period
        return period.spelled() if period else "all time"

    def build(self, rows: list[dict[str, Any]]) -> str:
        parsed = self.parsed
        query = parsed.query
        assert query is not None
        if parsed.intent == "total":
            row = rows[0] if rows else {}
            return f"{self.subject()}, {self.period()}: {self.values(row)}."
        if not rows:
            return f"{self.subject()}, {self.period()}: no activity."
        dimension = query.group_by[0]
        listed = rows[:MAX_LISTED]
        more = f" (and {len(rows) - len(listed)} more)" if len(rows) > len(listed) else ""
        if parsed.intent == "compare" and parsed.compared and len(query.group_by) == 1:
            return self._compare(rows, dimension)
        if parsed.intent == "top":
            if query.limit == 1:
                simple = self.catalog.metrics[parsed.metrics[0]].type == "simple"
                word = (
                    ("most" if simple else "highest")
                    if parsed.descending
                    else ("least" if simple else "lowest")
                )
                return (
                    f"{_upper_first(_member(rows[0], dimension))} had the {word} "
                    f"{self.subject(first=False)}, {self.period()}: {self.values(rows[0])}."
                )
            order = "top" if parsed.descending else "bottom"
            items = "; ".join(
                f"{i}. {_member(row, dimension)} {self.values(row)}"
                for i, row in enumerate(listed, start=1)
            )
            return (
                f"{order.capitalize()} {len(rows)} {dimension}s by {self.subject(first=False)}, "
                f"{self.period()}: {items}{more}."
            )
        items = ", ".join(f"{_member(row, dimension)} {self.values(row)}" for row in listed)
        by = "by " + " and ".join(query.group_by)
        return f"{self.subject()} {by}, {self.period()}: {items}{more}."

    def _compare(self, rows: list[dict[str, Any]], dimension: str) -> str:
        earlier, current = self.parsed.compared  # type: ignore[misc]
        by_start = {_day(row[dimension]): row for row in rows}
        before = by_start.get(earlier.start, {})
        now = by_start.get(current.start, {})
        text = (
            f"{self.subject()}, {current.spelled()} vs {earlier.spelled()}: "
            f"{self.values(now)} vs {self.values(before)}"
        )
        metric = self.parsed.metrics[0]
        old, new = before.get(metric), now.get(metric)
        if len(self.parsed.metrics) == 1 and old and new is not None:
            change = (float(new) - float(old)) / float(old)
            text += f" ({change:+.1%})"
        return text + "."
