"""Health, readiness, Prometheus metrics and the admin refresh."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from campaign_analytics.service.dependencies import Admin, Service
from campaign_analytics.service.schemas import Health, Readiness, RefreshAnswer, responses
from campaign_analytics.service.state import NotReadyError

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(service: Service, response: Response) -> Readiness:
    """The warehouse answers and a published build exists (503 otherwise)."""
    refresh = (
        service.refresher.last.as_json() if service.refresher and service.refresher.last else None
    )
    refreshing = bool(service.refresher and service.refresher.running)
    try:
        await service.warehouse.run(lambda db: db.query("select 1"))
        service.ready()
    except (NotReadyError, Exception) as error:
        response.status_code = 503
        return Readiness(
            status="not ready",
            data_version=service.data_version,
            data_published_at=None,
            cache=service.cache.backend,
            refresh=refresh,
            refreshing=refreshing,
            problem=str(error)[:300],
        )
    assert service.published is not None
    return Readiness(
        status="ready",
        data_version=service.data_version,
        data_published_at=service.published.build.finished_at,
        cache=service.cache.backend,
        refresh=refresh,
        refreshing=refreshing,
    )


@router.get("/metrics", response_class=Response)
async def prometheus(service: Service) -> Response:
    """Prometheus text format: requests and latency by route and status, cache hits and
    misses, limiter rejections, refreshes, the data version's age."""
    return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.post(
    "/v1/admin/refresh",
    response_model=RefreshAnswer,
    responses=responses(401, 403, 409, 429),
    tags=["admin"],
)
async def refresh(service: Service, _: Admin) -> RefreshAnswer:
    """Load what is new in PostgreSQL (entities too), build what it feeds with every test,
    publish; waits for it (admin tokens)."""
    if service.refresher is None:
        raise HTTPException(409, "this server does not refresh the warehouse (--no-refresh)")
    before = service.data_version
    result = await service.refresher.refresh(everything=True)
    service.metrics.record_refresh(result)
    await service.sync_version()
    return RefreshAnswer(
        refresh=result.as_json(), data_version=service.data_version, previous_data_version=before
    )
