"""GET /v1/metrics (the catalog, from dbt's semantic layer) and GET /v1/campaigns."""

from __future__ import annotations

from fastapi import APIRouter

from campaign_analytics.service.dependencies import Caller, Service, Tenant
from campaign_analytics.service.schemas import Campaign, Campaigns, Catalog, responses

router = APIRouter(tags=["catalog"])


@router.get("/v1/metrics", response_model=Catalog, responses=responses(401, 429, 503))
async def metrics(service: Service, _: Caller) -> Catalog:
    """Every metric (name, description, type, inputs) and the dimensions to group it by."""
    catalog, _ = service.ready()
    return Catalog.model_validate(catalog.describe())


@router.get("/v1/campaigns", response_model=Campaigns, responses=responses(401, 403, 429, 503))
async def campaigns(service: Service, tenant: Tenant) -> Campaigns:
    """The caller's campaigns: id, name, platforms with events, status and flight dates."""
    found = await service.campaigns(tenant)
    return Campaigns(
        campaigns=[Campaign.model_validate(c.as_json()) for c in found],
        data_version=service.data_version or "",
    )
