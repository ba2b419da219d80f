"""Our scorer for the `ask` gold set: exact match, per-slot accuracy, abstention, parse time.

- exact match: the whole MetricQuery (normalized) equals the expected one;
- slot accuracy: metric, platform, campaign, start, end, grain, group-by, top-N, each over the
  questions that expect a query;
- abstention: a clarification given where one was expected (precision: of those given, how
  many were expected; recall: of those expected, how many were given);
- safety: answers whose query could reach another advertiser (a campaign that is not the
  caller's, any advertiser dimension) and answers with a metric other than the one asked;
- parse time: p95 of :func:`parse` over the whole set, measured here and reported, never
  asserted (wall time depends on the machine).

Run it alone with `uv run python -m tests.ask.scorer` (after `make transform`, for the
manifest) to print the table and every miss.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from campaign_analytics.ask.parser import Parsed
from campaign_analytics.metrics.query import Filter, MetricQuery, TimeRange

GOLD = Path(__file__).with_name("gold.yaml")
SLOTS = ("metric", "platform", "campaign", "start", "end", "grain", "group_by", "top_n")
GRAINS = {"day", "week", "month", "quarter"}
STRATA = (
    "templates",
    "paraphrases",
    "typos",
    "boundaries",
    "ambiguous",
    "unsupported",
    "adversarial",
    "held_out",
    "unseen",
)


@dataclass(frozen=True)
class Item:
    id: str
    stratum: str
    question: str
    today: dt.date
    query: MetricQuery | None  # expected; None when a clarification is expected
    clarify: str | None


def _day(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _filter(dimension: str, value: Any) -> Filter:
    if isinstance(value, list):
        return Filter(dimension=dimension, op="in", value=sorted(value))
    return Filter(dimension=dimension, op="eq", value=value)


def expected_query(expect: dict[str, Any]) -> MetricQuery:
    filters = [
        _filter(dimension, expect[key])
        for key, dimension in (
            ("platform", "platform"),
            ("campaign", "campaign"),
            ("status", "campaign_status"),
        )
        if key in expect
    ]
    extra = {"limit": expect["limit"]} if "limit" in expect else {}
    return MetricQuery(
        metrics=expect["metrics"],
        group_by=expect.get("group_by", []),
        time=TimeRange(start=_day(expect.get("start")), end=_day(expect.get("end"))),
        filters=filters,
        order_by=expect.get("order_by", []),
        **extra,
    ).normalized()


def load_gold(path: Path = GOLD) -> tuple[dict[str, Any], list[Item]]:
    gold = yaml.safe_load(path.read_text())
    today = _day(gold["today"])
    items = []
    for entry in gold["questions"]:
        expect = entry["expect"]
        items.append(
            Item(
                id=entry["id"],
                stratum=entry["stratum"],
                question=entry["q"],
                today=_day(entry.get("today")) or today,  # type: ignore[arg-type]
                query=None if "clarify" in expect else expected_query(expect),
                clarify=expect.get("clarify"),
            )
        )
    return gold, items


def slots(query: MetricQuery) -> dict[str, Any]:
    filters = {f.dimension: f.value for f in query.filters}
    return {
        "metric": query.metrics,
        "platform": filters.get("platform"),
        "campaign": filters.get("campaign"),
        "start": query.time.start,
        "end": query.time.end,
        "grain": [g for g in query.group_by if g in GRAINS],
        "group_by": [g for g in query.group_by if g not in GRAINS],
        "top_n": query.limit if query.order_by else None,
    }


@dataclass
class Outcome:
    item: Item
    query: MetricQuery | None
    clarify: str | None
    parse_ms: float

    @property
    def exact(self) -> bool:
        return self.item.query is not None and self.query == self.item.query


@dataclass
class StratumScore:
    name: str
    outcomes: list[Outcome] = field(default_factory=list)

    def _expecting_query(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.item.query is not None]

    @property
    def exact_match(self) -> float | None:
        expecting = self._expecting_query()
        return sum(o.exact for o in expecting) / len(expecting) if expecting else None

    def slot_accuracy(self, slot: str) -> float | None:
        expecting = self._expecting_query()
        if not expecting:
            return None
        right = sum(
            o.query is not None and slots(o.query)[slot] == slots(o.item.query)[slot]  # type: ignore[arg-type]
            for o in expecting
        )
        return right / len(expecting)


@dataclass
class Report:
    version: int
    strata: dict[str, StratumScore]
    own_campaigns: set[int]

    @property
    def outcomes(self) -> list[Outcome]:
        return [o for s in self.strata.values() for o in s.outcomes]

    def abstention(self, outcomes: list[Outcome] | None = None) -> tuple[float, float]:
        """(precision, recall) of giving a clarification; 1.0 when there is nothing to count."""
        outcomes = self.outcomes if outcomes is None else outcomes
        given = [o for o in outcomes if o.clarify is not None]
        expected = [o for o in outcomes if o.item.clarify is not None]
        right = [o for o in given if o.item.clarify is not None]
        precision = len(right) / len(given) if given else 1.0
        recall = len(right) / len(expected) if expected else 1.0
        return precision, recall

    def other_tenant_answers(self) -> list[Outcome]:
        """Answers whose query names a campaign that is not the caller's, or an advertiser."""
        bad = []
        for o in self.outcomes:
            if o.query is None:
                continue
            dimensions = set(o.query.group_by) | {f.dimension for f in o.query.filters}
            campaigns = slots(o.query)["campaign"]
            ids = set(campaigns if isinstance(campaigns, list) else [campaigns]) - {None}
            if dimensions & {"advertiser", "advertiser_name"} or ids - self.own_campaigns:
                bad.append(o)
        return bad

    def wrong_metric_answers(self) -> list[Outcome]:
        """Answers computing a metric other than the one asked (an answer where a
        clarification was expected counts against abstention recall)."""
        return [
            o
            for o in self.outcomes
            if o.query is not None
            and o.item.query is not None
            and o.query.metrics != o.item.query.metrics
        ]

    def p95_parse_ms(self) -> float:
        times = sorted(o.parse_ms for o in self.outcomes)
        return statistics.quantiles(times, n=20)[-1] if len(times) >= 20 else max(times)

    def table(self) -> str:
        def pct(value: float | None) -> str:
            return "—" if value is None else f"{value:.0%}"

        head = ["stratum", "n", "exact", *SLOTS, "abst. P", "abst. R"]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for name in STRATA:
            stratum = self.strata.get(name)
            if stratum is None:
                continue
            precision, recall = self.abstention(stratum.outcomes)
            has_abstentions = any(o.item.clarify or o.clarify for o in stratum.outcomes)
            cells = [
                name,
                str(len(stratum.outcomes)),
                pct(stratum.exact_match),
                *(pct(stratum.slot_accuracy(slot)) for slot in SLOTS),
                pct(precision) if has_abstentions else "—",
                pct(recall) if any(o.item.clarify for o in stratum.outcomes) else "—",
            ]
            lines.append("| " + " | ".join(cells) + " |")
        precision, recall = self.abstention()
        exact = [o.exact for o in self.outcomes if o.item.query is not None]
        lines.append(
            f"\ngold set v{self.version}: {len(self.outcomes)} questions; exact match "
            f"{sum(exact) / len(exact):.1%} of {len(exact)} expecting a query; abstention "
            f"precision {precision:.1%}, recall {recall:.1%}; answers reaching another "
            f"advertiser: {len(self.other_tenant_answers())}; answers with another metric: "
            f"{len(self.wrong_metric_answers())}; parse p95 {self.p95_parse_ms():.2f} ms"
        )
        return "\n".join(lines)

    def misses(self) -> list[str]:
        lines = []
        for o in self.outcomes:
            want = o.item.query or o.item.clarify
            got = o.query or o.clarify
            if (o.item.query is not None and not o.exact) or (
                o.item.clarify is not None and o.clarify is None
            ):
                lines.append(f"{o.item.id} {o.item.question!r}\n  want {want!r}\n  got  {got!r}")
        return lines


Parse = Callable[[str, dt.date], Parsed]


def score(parse: Parse, own_campaigns: set[int], path: Path = GOLD) -> Report:
    gold, items = load_gold(path)
    strata: dict[str, StratumScore] = {}
    for item in items:
        started = time.perf_counter()
        parsed = parse(item.question, item.today)
        elapsed = (time.perf_counter() - started) * 1000
        clarify = parsed.clarification.kind if parsed.clarification else None
        outcome = Outcome(item, parsed.query, clarify, elapsed)
        strata.setdefault(item.stratum, StratumScore(item.stratum)).outcomes.append(outcome)
    return Report(gold["version"], strata, own_campaigns)


def main() -> None:
    from campaign_analytics.ask.parser import parse
    from campaign_analytics.metrics.catalog import Catalog
    from campaign_analytics.settings import get_settings
    from tests.ask.campaigns import CAMPAIGNS, OWN_IDS, TENANT

    catalog = Catalog.load(get_settings().dbt_target_path / "manifest.json")

    def run(question: str, today: dt.date) -> Parsed:
        return parse(question, today=today, campaigns=CAMPAIGNS, catalog=catalog, tenant=TENANT)

    report = score(run, OWN_IDS)
    print(report.table())
    print("\n".join(report.misses()))


if __name__ == "__main__":
    main()
