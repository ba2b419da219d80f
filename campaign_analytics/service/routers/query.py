"""POST /v1/query: any metrics by any dimensions over a day range, for the caller's tenant."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Response

from campaign_analytics.metrics.query import MetricQuery
from campaign_analytics.service.dependencies import Service, Tenant
from campaign_analytics.service.schemas import QueryResponse, responses

router = APIRouter(tags=["metrics"])


@router.post(
    "/v1/query",
    response_model=QueryResponse,
    responses=responses(401, 403, 422, 429, 503, 504),
    summary="Metrics by dimensions, over days",
)
async def query(body: MetricQuery, tenant: Tenant, service: Service) -> Response:
    """Ratios are ratios of sums at the requested grain. `limit` is at most 10,000 rows."""
    normalized = body.normalized()

    async def compute() -> tuple[bytes, float, int]:
        resolved, answer = await service.answer(normalized, tenant)
        payload = {"query": resolved.model_dump(mode="json"), "rows": answer.rows}
        return orjson.dumps(payload), answer.elapsed_ms, answer.rows_read

    content = await service.respond("query", tenant, normalized.model_dump(mode="json"), compute)
    return Response(content, media_type="application/json")
