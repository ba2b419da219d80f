"""POST /v1/ask and POST /prompt: a plain-English question, answered through the metrics layer.

The question is parsed for the caller's tenant only (campaign names are matched against its
own campaigns), becomes a MetricQuery, and runs through the same executor, cache and limits
as POST /v1/query; a question that leaves a slot open gets a question back, not a number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import anyio
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from campaign_analytics.ask.answer import ask
from campaign_analytics.ask.models import AskAnswer
from campaign_analytics.ask.periods import today_in
from campaign_analytics.metrics.query import MetricQuery
from campaign_analytics.service.dependencies import Service, Tenant
from campaign_analytics.service.schemas import responses

router = APIRouter(tags=["ask"])
MAX_QUESTION = 2_000


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        max_length=MAX_QUESTION, examples=["What's the ROAS of my latest Google campaign?"]
    )
    today: dt.date | None = Field(None, description="the caller's today (default: today in UTC)")


class PromptRequest(BaseModel):
    """The reference bot's shape."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(
        max_length=MAX_QUESTION, examples=["How much did I spend on LinkedIn ads this quarter?"]
    )


async def _answer(service: Service, tenant: int, question: str, today: dt.date | None) -> AskAnswer:
    catalog, _ = service.ready()
    campaigns = await service.campaigns(tenant)

    def run(query: MetricQuery) -> Any:
        # ask() is synchronous: it runs in a worker thread and sends each query back to the
        # event loop, through the service's cache, limits and tenant scope
        return anyio.from_thread.run(service.answer, query, tenant)[1]

    return await anyio.to_thread.run_sync(
        lambda: ask(
            question,
            tenant=tenant,
            today=today or today_in("UTC"),
            run=run,
            campaigns=campaigns,
            catalog=catalog,
            data_version=service.data_version,
        )
    )


@router.post(
    "/v1/ask",
    response_model=AskAnswer,
    responses=responses(401, 403, 422, 429, 503, 504),
    summary="A question in plain English",
)
async def ask_question(body: AskRequest, tenant: Tenant, service: Service) -> AskAnswer:
    """`answer` (a sentence), the `query` run and its `rows`; or a `clarification` (a question
    back with options) when the question is missing something or is ambiguous."""
    return await _answer(service, tenant, body.question, body.today)


@router.post(
    "/prompt",
    response_model=AskAnswer,
    responses=responses(401, 403, 422, 429, 503, 504),
    summary="A question in plain English (the reference bot's shape)",
)
async def prompt(body: PromptRequest, tenant: Tenant, service: Service) -> AskAnswer:
    """The same as POST /v1/ask, with `{"prompt": "..."}`."""
    return await _answer(service, tenant, body.prompt, None)
