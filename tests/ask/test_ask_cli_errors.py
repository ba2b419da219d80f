"""`campaign-analytics ask` before there is anything to ask, or with a bad day: one line."""

from __future__ import annotations

from campaign_analytics.settings import Settings
from tests.pipeline import cli, one_line_error


def test_a_bad_today_is_one_line(isolated: Settings) -> None:
    result = cli(isolated, "ask", "spend last week", "--today", "2026-13-01")
    one_line_error(result, "--today '2026-13-01' is not a YYYY-MM-DD date")


def test_asking_before_any_load_says_to_load(isolated: Settings) -> None:
    result = cli(isolated, "ask", "spend last week")
    one_line_error(result, "no chDB data", "make load")
