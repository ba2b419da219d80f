"""GET /campaign/{id}/insights: the reference clients' shape, one campaign's totals and series."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, HTTPException, Path, Query, Response

from campaign_analytics.metrics.query import Filter, MetricQuery, TimeRange
from campaign_analytics.service.dependencies import Service, Tenant
from campaign_analytics.service.schemas import INSIGHT_METRICS, Insights, responses

router = APIRouter(tags=["insights"])


async def insights(
    service: Service,
    tenant: Tenant,
    campaign_id: Annotated[int, Path(ge=1)],
    start: Annotated[dt.date | None, Query(alias="from", description="first day, UTC")] = None,
    end: Annotated[dt.date | None, Query(alias="to", description="last day, UTC")] = None,
    platform: Annotated[str | None, Query(description="one platform, any case")] = None,
    grain: Annotated[Literal["day", "week", "month"] | None, Query()] = None,
) -> Response:
    """Totals (impressions, clicks, conversions, spend, revenue, CTR, CVR, CPC, CPM, CPA,
    ROAS) of one of the caller's campaigns over the days asked for (both ends included),
    optionally on one platform, and with `grain` a `series` of them by period."""
    if start and end and start > end:
        raise HTTPException(422, f"from {start} is after to {end}")
    request = {
        "campaign": campaign_id,
        "from": start,
        "to": end,
        "platform": platform,
        "grain": grain,
    }
    if platform is not None:
        request["platform"] = platform.lower()

    async def compute() -> tuple[bytes, float, int]:
        return await _insights(service, tenant, campaign_id, start, end, platform, grain)

    # the key is the tenant's: a cached answer exists only for a campaign the tenant owns
    content = await service.respond("insights", tenant, request, compute)
    return Response(content, media_type="application/json")


async def _insights(
    service: Service,
    tenant: int,
    campaign_id: int,
    start: dt.date | None,
    end: dt.date | None,
    platform: str | None,
    grain: str | None,
) -> tuple[bytes, float, int]:
    campaigns = {c.campaign_id: c for c in await service.campaigns(tenant)}
    campaign = campaigns.get(campaign_id)
    if campaign is None:  # another advertiser's campaign is exactly as missing as none
        raise HTTPException(404, f"no campaign {campaign_id}")
    filters = [Filter(dimension="campaign", op="eq", value=campaign_id)]
    if platform is not None:
        known = {name.lower(): name for name in await service.platforms()}
        if platform.lower() not in known:
            raise HTTPException(
                422, f"unknown platform {platform!r}; valid: {', '.join(sorted(known.values()))}"
            )
        platform = known[platform.lower()]
        filters.append(Filter(dimension="platform", op="eq", value=platform))
    time = TimeRange(start=start, end=end)
    totals_query = MetricQuery(metrics=list(INSIGHT_METRICS), time=time, filters=filters)
    _, totals = await service.answer(totals_query, tenant)
    series = None
    elapsed, read = totals.elapsed_ms, totals.rows_read
    if grain:
        series_query = totals_query.model_copy(update={"group_by": [grain], "limit": 10_000})
        _, answer = await service.answer(series_query, tenant)
        # cached rows are shared with every later hit: build new ones, never change them
        series = [
            {"period": row[grain]} | {k: v for k, v in row.items() if k != grain}
            for row in answer.rows
        ]
        elapsed, read = elapsed + answer.elapsed_ms, read + answer.rows_read
    body = {
        "campaign_id": campaign.campaign_id,
        "campaign_name": campaign.name,
        "advertiser_id": campaign.advertiser_id,
        "from": start,
        "to": end,
        "platform": platform,
        "grain": grain,
        "totals": totals.rows[0],
        "series": series,
    }
    return orjson.dumps(body), elapsed, read


for path in ("/campaign/{campaign_id}/insights", "/v1/campaign/{campaign_id}/insights"):
    router.add_api_route(
        path,
        insights,
        methods=["GET"],
        response_model=Insights,
        response_model_by_alias=True,
        responses=responses(401, 403, 404, 422, 429, 503, 504),
        summary="A campaign's KPIs over days",
        name="insights" if path.startswith("/campaign") else "insights_v1",
    )
