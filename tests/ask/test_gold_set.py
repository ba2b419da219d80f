"""The gold set, scored: the gates of issue 13, and the per-stratum table printed.

Parse only (no database): the caller's campaigns are the fixed list in campaigns.py and the
catalog comes from `dbt parse`. The table is printed (`pytest -s -n0 tests/ask`) and written
to .data/test/ask-gold-report.md; `uv run python -m tests.ask.scorer` prints it with every miss.
"""

from __future__ import annotations

import datetime as dt

import pytest

from campaign_analytics.ask.parser import Parsed, parse
from campaign_analytics.metrics.catalog import Catalog
from tests.ask.campaigns import CAMPAIGNS, OWN_IDS, TENANT
from tests.ask.scorer import STRATA, Report, load_gold, score
from tests.conftest import TEST_DATA_DIR

REPORT_FILE = TEST_DATA_DIR / "ask-gold-report.md"


@pytest.fixture(scope="module")
def report(catalog: Catalog) -> Report:
    def run(question: str, today: dt.date) -> Parsed:
        return parse(question, today=today, campaigns=CAMPAIGNS, catalog=catalog, tenant=TENANT)

    report = score(run, OWN_IDS)
    REPORT_FILE.parent.mkdir(parents=True, exist_ok=True)
    REPORT_FILE.write_text(report.table() + "\n")
    print("\n" + report.table())
    return report


def test_the_gold_set_is_versioned_and_covers_every_stratum() -> None:
    gold, items = load_gold()
    assert isinstance(gold["version"], int)
    assert len(items) >= 250
    assert len({item.id for item in items}) == len(items)
    assert {item.stratum for item in items} == set(STRATA)
    # each stratum is big enough to say something
    for stratum in STRATA:
        assert sum(item.stratum == stratum for item in items) >= 20, stratum


def test_templates_are_parsed_exactly(report: Report) -> None:
    assert report.strata["templates"].exact_match >= 0.95, report.misses()


@pytest.mark.parametrize("stratum", ["paraphrases", "typos"])
def test_paraphrases_and_typos_are_parsed_exactly(report: Report, stratum: str) -> None:
    assert report.strata[stratum].exact_match >= 0.85, report.misses()


def test_clarifications_are_asked_only_when_due(report: Report) -> None:
    precision, recall = report.abstention()
    assert precision >= 0.95, report.misses()
    assert recall >= 0.9, report.misses()


def test_no_answer_reaches_another_advertiser(report: Report) -> None:
    assert report.other_tenant_answers() == []


def test_no_answer_computes_another_metric_than_asked(report: Report) -> None:
    assert report.wrong_metric_answers() == []


def test_other_advertisers_campaigns_are_never_matched(catalog: Catalog) -> None:
    # the caller's list may hold everyone's campaigns: only the tenant's are candidates
    parsed = parse(
        "spend for Globex · Winter Promo 2026",
        today=dt.date(2026, 11, 18),
        campaigns=CAMPAIGNS,
        catalog=catalog,
        tenant=TENANT,
    )
    assert parsed.query is None and parsed.clarification is not None
    assert all("Globex" not in option for option in parsed.clarification.options)
    # and the same words asked by Globex resolve to Globex's campaign
    theirs = parse(
        "spend for Winter Promo 2026",
        today=dt.date(2026, 11, 18),
        campaigns=CAMPAIGNS,
        catalog=catalog,
        tenant=2,
    )
    assert theirs.query is not None
    assert [f.value for f in theirs.query.filters] == [21]
