"""`ask`: a plain-English question -> an answer computed through the metrics layer.

The service (`POST /v1/ask`, `POST /prompt`) and the CLI call :func:`ask` with the caller's
verified advertiser, its campaigns and a ``run`` that executes a MetricQuery scoped to that
advertiser (the service passes its cached executor, the CLI :func:`runner`); nothing here
knows about HTTP. A clarification is returned instead of a number whenever the question
leaves a slot open, and then nothing is run.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from campaign_analytics.ask.models import AskAnswer
from campaign_analytics.ask.parser import Parsed, parse
from campaign_analytics.ask.sentences import Sentence
from campaign_analytics.metrics.campaigns import CampaignInfo
from campaign_analytics.metrics.catalog import Catalog
from campaign_analytics.metrics.compiler import compile_query
from campaign_analytics.metrics.executor import execute, jsonable
from campaign_analytics.metrics.query import MetricQuery


class HasRows(Protocol):
    rows: list[dict[str, Any]]


Run = Callable[[MetricQuery], HasRows]


def runner(db: Any, catalog: Catalog, database: str, tenant: int) -> Run:
    """A ``run`` on a clickhouse-connect client: compiled against the published build in
    ``database``, scoped to advertiser ``tenant``."""

    def run(query: MetricQuery) -> HasRows:
        return execute(db, compile_query(query, catalog, database, tenant))

    return run


def _currency(campaigns: Sequence[CampaignInfo]) -> str | None:
    """The caller's currency, when all its campaigns share one (None: mixed)."""
    currencies = {c.currency for c in campaigns}
    return currencies.pop() if len(currencies) == 1 else None


def _meta(parsed: Parsed, today: dt.date, parse_ms: float, data_version: str | None) -> dict:
    period = parsed.period
    return {
        "today": today.isoformat(),
        "intent": parsed.intent if parsed.query else None,
        "period": (
            {
                "label": period.label,
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "spelled": period.spelled(),
            }
            if period
            else None
        ),
        "campaigns": [{"campaign_id": c.campaign_id, "name": c.name} for c in parsed.campaigns],
        "platforms": parsed.platforms,
        "latest_campaign_rule": parsed.latest,
        "data_version": data_version,
        "parse_ms": round(parse_ms, 3),
    }


def ask(
    question: str,
    *,
    tenant: int,
    today: dt.date,
    run: Run,
    campaigns: Sequence[CampaignInfo],
    catalog: Catalog,
    data_version: str | None = None,
) -> AskAnswer:
    """Answer ``question`` for advertiser ``tenant`` (from the verified token, never from the
    text). ``campaigns`` are the tenant's (others are ignored); ``today`` is the caller's
    date; ``data_version`` names the published build ``run`` reads."""
    started = time.perf_counter()
    parsed = parse(question, today=today, campaigns=campaigns, catalog=catalog, tenant=tenant)
    parse_ms = (time.perf_counter() - started) * 1000
    meta = _meta(parsed, today, parse_ms, data_version)
    if parsed.query is None:
        return AskAnswer(question=question, clarification=parsed.clarification, meta=meta)
    rows = [{k: jsonable(v) for k, v in row.items()} for row in run(parsed.query).rows]
    own = [c for c in campaigns if c.advertiser_id == tenant]
    sentence = Sentence(parsed, catalog, _currency(own)).build(rows)
    return AskAnswer(question=question, answer=sentence, query=parsed.query, rows=rows, meta=meta)
