"""POST /v1/query: any metrics by any dimensions over a day range, for the caller's tenant."""

from __future__ import annotations

from fastapi import APIRouter

from campaign_analytics.metrics.query import MetricQuery
from campaign_analytics.service.dependencies import Service, Tenant
from campaign_analytics.service.schemas import Meta, QueryResponse, responses

router = APIRouter(tags=["metrics"])


def meta(service: Service, cache: str, elapsed_ms: float, rows_read: int) -> Meta:
    _, published = service.ready()
    return Meta(
        data_version=published.build.invocation_id,
        data_published_at=published.build.finished_at,
        cache=cache,  # type: ignore[arg-type]
        elapsed_ms=0.0 if cache == "hit" else round(elapsed_ms, 3),
        rows_read=rows_read,
    )


@router.post(
    "/v1/query",
    response_model=QueryResponse,
    responses=responses(401, 403, 422, 429, 503, 504),
    summary="Metrics by dimensions, over days",
)
async def query(body: MetricQuery, tenant: Tenant, service: Service) -> QueryResponse:
    """Ratios are ratios of sums at the requested grain. `limit` is at most 10,000 rows."""
    resolved, answer = await service.answer(body, tenant)
    return QueryResponse(
        query=resolved,
        rows=answer.rows,
        meta=meta(service, answer.cache, answer.elapsed_ms, answer.rows_read),
    )
