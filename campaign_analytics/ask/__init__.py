"""Plain-English questions -> MetricQuery -> an answer sentence (issue 13).

:func:`ask` is the entry point the CLI and the service call; :func:`parse` is the grammar
alone (what the gold-set evaluation in tests/ask/ scores).
"""

from campaign_analytics.ask.answer import ask, runner
from campaign_analytics.ask.models import AskAnswer, Clarification
from campaign_analytics.ask.parser import Parsed, parse

__all__ = ["AskAnswer", "Clarification", "Parsed", "ask", "parse", "runner"]
