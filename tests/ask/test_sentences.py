"""Answer sentences: numbers formatted by the metric's kind, periods spelled out."""

from __future__ import annotations

import datetime as dt

import pytest

from campaign_analytics.ask.parser import parse
from campaign_analytics.ask.sentences import Sentence, format_value
from campaign_analytics.metrics.catalog import Catalog
from tests.ask.campaigns import CAMPAIGNS, TENANT

TODAY = dt.date(2026, 11, 18)


@pytest.mark.parametrize(
    ("value", "kind", "currency", "text"),
    [
        (0.01234, "percent", "USD", "1.23%"),
        (1234.5, "money", "USD", "$1,234.50"),
        ("1234.567891", "money", "EUR", "€1,234.57"),
        (99, "money", "SEK", "99.00 SEK"),
        (12.5, "money", None, "12.50 (mixed currencies)"),
        (3.14159, "ratio", "USD", "3.14"),
        (1234567, "count", "USD", "1,234,567"),
        (None, "ratio", "USD", "not defined"),
    ],
)
def test_values_are_formatted_by_kind(value, kind: str, currency: str | None, text: str) -> None:
    assert format_value(value, kind, currency) == text


def sentence(catalog: Catalog, question: str, rows: list[dict]) -> str:
    parsed = parse(question, today=TODAY, campaigns=CAMPAIGNS, catalog=catalog, tenant=TENANT)
    assert parsed.query is not None, parsed.clarification
    return Sentence(parsed, catalog, "USD").build(rows)


def test_a_total_names_metric_platform_and_period(catalog: Catalog) -> None:
    text = sentence(
        catalog, "How much did I spend on LinkedIn ads this quarter?", [{"spend": 12.3}]
    )
    assert text == "Spend on LinkedIn, this quarter so far (1 Oct\u201318 Nov 2026): $12.30."


def test_a_ratio_without_denominator_says_so(catalog: Catalog) -> None:
    text = sentence(catalog, "CTR on Meta yesterday", [{"ctr": None}])
    assert text == "CTR on Meta, yesterday (17 Nov 2026): not defined (no impressions)."


def test_the_latest_campaign_rule_is_spelled_out(catalog: Catalog) -> None:
    text = sentence(catalog, "What's the ROAS for my latest Google campaign?", [{"roas": 2.5}])
    assert text == (
        "ROAS on Google for your latest Google campaign (started 10 Nov 2026), "
        "\u201cAcme Corp · Brand Lift 2026\u201d, all time: 2.50."
    )


def test_a_comparison_gives_both_periods_and_the_change(catalog: Catalog) -> None:
    rows = [{"month": "2026-10-01", "spend": 200.0}, {"month": "2026-11-01", "spend": 150.0}]
    text = sentence(catalog, "spend this month vs last month", rows)
    assert text == (
        "Spend, this month so far (1\u201318 Nov 2026) vs last month (1\u201331 Oct 2026): "
        "$150.00 vs $200.00 (-25.0%)."
    )


def test_a_ranking_lists_names_in_order(catalog: Catalog) -> None:
    rows = [
        {"campaign": 3, "campaign_name": "Acme Corp · Black Friday 2026", "cpa": 4.0},
        {"campaign": 6, "campaign_name": "Acme Corp · Retargeting 2026", "cpa": 5.5},
    ]
    text = sentence(catalog, "bottom 2 campaigns by CPA last week", rows)
    assert text == (
        "Bottom 2 campaigns by CPA, last week (9\u201315 Nov 2026): "
        "1. \u201cAcme Corp · Black Friday 2026\u201d $4.00; "
        "2. \u201cAcme Corp · Retargeting 2026\u201d $5.50."
    )
