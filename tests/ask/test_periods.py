"""The period grammar: inclusive day ranges from an injected today, and how they are spelled."""

from __future__ import annotations

import datetime as dt

import pytest

from campaign_analytics.ask.normalize import normalize
from campaign_analytics.ask.periods import PeriodError, find_periods, spell_range, today_in

WEDNESDAY = dt.date(2026, 11, 18)
D = dt.date.fromisoformat


@pytest.mark.parametrize(
    ("text", "start", "end", "spelled"),
    [
        ("today", "2026-11-18", "2026-11-18", "today (18 Nov 2026)"),
        ("this week", "2026-11-16", "2026-11-18", "this week so far (16\u201318 Nov 2026)"),
        ("last week", "2026-11-09", "2026-11-15", "last week (9\u201315 Nov 2026)"),
        ("the past 7 days", "2026-11-11", "2026-11-17", "the last 7 days (11\u201317 Nov 2026)"),
        ("last 2 weeks", "2026-11-02", "2026-11-15", "the last 2 weeks (2\u201315 Nov 2026)"),
        ("last 3 months", "2026-08-01", "2026-10-31", "the last 3 months (1 Aug\u201331 Oct 2026)"),
        ("qtd", "2026-10-01", "2026-11-18", "this quarter so far (1 Oct\u201318 Nov 2026)"),
        ("last quarter", "2026-07-01", "2026-09-30", "last quarter (1 Jul\u201330 Sep 2026)"),
        (
            "the last quarter of 2025",
            "2025-10-01",
            "2025-12-31",
            "Q4 2025 (1 Oct\u201331 Dec 2025)",
        ),
        ("2026 q2", "2026-04-01", "2026-06-30", "Q2 2026 (1 Apr\u201330 Jun 2026)"),
        ("since march", "2026-03-01", "2026-11-18", "since 1 Mar 2026 (1 Mar\u201318 Nov 2026)"),
        ("in december", "2025-12-01", "2025-12-31", "Dec 2025 (1\u201331 Dec 2025)"),
        ("nov 20", "2025-11-20", "2025-11-20", "20 Nov 2025"),
        ("1-7 dec 2025", "2025-12-01", "2025-12-07", "1\u20137 Dec 2025"),
        ("from 28 nov to 4 dec 2025", "2025-11-28", "2025-12-04", "28 Nov\u20134 Dec 2025"),
        (
            "between 2025-12-29 and 2026-01-04",
            "2025-12-29",
            "2026-01-04",
            "29 Dec 2025\u20134 Jan 2026",
        ),
    ],
)
def test_periods_are_inclusive_day_ranges(text: str, start: str, end: str, spelled: str) -> None:
    (found,) = find_periods(normalize(text), WEDNESDAY)
    assert (found.period.start, found.period.end) == (D(start), D(end))
    assert found.period.spelled() == spelled


@pytest.mark.parametrize(
    "text", ["next month", "tomorrow", "the coming week", "december 2026", "feb 30 2026"]
)
def test_the_future_and_impossible_days_are_refused(text: str) -> None:
    with pytest.raises(PeriodError):
        find_periods(normalize(text), WEDNESDAY)


@pytest.mark.parametrize("text", ["may i see my spend", "spend for spring sale 2026", "top 5"])
def test_words_that_only_look_like_periods_are_left_alone(text: str) -> None:
    assert find_periods(normalize(text), WEDNESDAY) == []


def test_compare_periods_know_the_one_before_and_after() -> None:
    (last_month,) = find_periods("last month", WEDNESDAY)
    assert last_month.period.previous().start == D("2026-09-01")  # type: ignore[union-attr]
    assert last_month.period.following(WEDNESDAY).spelled() == (
        "this month so far (1\u201318 Nov 2026)"
    )
    (custom,) = find_periods("last 7 days", WEDNESDAY)
    assert custom.period.previous() is None


def test_today_is_the_callers_date() -> None:
    # UTC+14 and UTC-11 are 25 hours apart: their dates differ by one day, or by two from
    # 10:00 to 11:00 UTC
    assert (today_in("Pacific/Kiritimati") - today_in("Pacific/Pago_Pago")).days in {1, 2}
    assert spell_range(D("2026-12-01"), D("2026-12-07")) == "1\u20137 Dec 2026"
