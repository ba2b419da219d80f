"""What a question gets back: an answer with the query behind it, or a question back."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from campaign_analytics.metrics.query import MetricQuery

ClarificationKind = Literal["missing", "ambiguous", "unknown", "unsupported"]


class Clarification(BaseModel):
    """Why no number was given, and what the caller can say instead."""

    model_config = ConfigDict(extra="forbid")

    kind: ClarificationKind = Field(
        description="missing: a slot (metric) was not said; ambiguous: several readings; "
        "unknown: words that match nothing of yours; unsupported: not answerable from the data"
    )
    question: str = Field(description="the question back, or what can be asked")
    options: list[str] = Field(default_factory=list, description="what the caller may pick")


class AskAnswer(BaseModel):
    """The response of `POST /v1/ask` and `POST /prompt`: exactly one of answer and
    clarification is set; ``query`` is what was computed (the body of `POST /v1/query`)."""

    model_config = ConfigDict(extra="forbid")

    question: str
    answer: str | None = Field(None, description="one sentence with the numbers")
    query: MetricQuery | None = Field(None, description="the MetricQuery that was run")
    rows: list[dict[str, Any]] = Field(
        default_factory=list, description="the query's rows, as POST /v1/query returns them"
    )
    clarification: Clarification | None = None
    meta: dict[str, Any] = Field(
        default_factory=dict,
        description="today, the period, the campaigns and platforms resolved, the intent, "
        "the data version (published build) and the parse time",
    )
