"""The gold set's caller: advertiser 1 (Acme Corp) and, to be kept out, advertiser 2's campaigns."""

from __future__ import annotations

import datetime as dt

from campaign_analytics.metrics.campaigns import CampaignInfo

TENANT = 1
OTHER_TENANT = 2


def _campaign(
    campaign_id: int,
    name: str,
    start: str,
    end: str,
    status: str,
    platforms: tuple[str, ...],
    advertiser_id: int = TENANT,
    is_deleted: bool = False,
) -> CampaignInfo:
    return CampaignInfo(
        campaign_id,
        name,
        advertiser_id,
        status,
        dt.date.fromisoformat(start),
        dt.date.fromisoformat(end),
        is_deleted,
        platforms,
    )


CAMPAIGNS = [
    _campaign(
        1,
        "Acme Corp · Spring Sale 2026",
        "2026-03-01",
        "2026-04-30",
        "completed",
        ("Google", "Meta"),
    ),
    _campaign(
        2, "Acme Corp · Spring Sale 2025", "2025-03-01", "2025-04-30", "completed", ("Google",)
    ),
    _campaign(
        3,
        "Acme Corp · Black Friday 2026",
        "2026-11-01",
        "2026-11-30",
        "active",
        ("Google", "Meta", "TikTok"),
    ),
    _campaign(
        4,
        "Acme Corp · Q4 Growth 2026",
        "2026-10-01",
        "2026-12-31",
        "active",
        ("Google", "LinkedIn"),
    ),
    _campaign(
        5, "Acme Corp · Always On 2026", "2026-01-01", "2026-12-31", "active", ("Google", "Meta")
    ),
    _campaign(6, "Acme Corp · Retargeting 2026", "2026-09-15", "2026-12-15", "active", ("Meta",)),
    _campaign(
        7, "Acme Corp · Webinar Series 2026", "2026-10-20", "2026-11-30", "active", ("LinkedIn",)
    ),
    _campaign(8, "Acme Corp · Holiday Push 2026", "2026-12-01", "2026-12-31", "planned", ()),
    _campaign(
        9,
        "Acme Corp · Summer Launch 2026",
        "2026-06-01",
        "2026-08-31",
        "completed",
        ("Meta", "TikTok"),
    ),
    _campaign(10, "Acme Corp · Brand Lift 2026", "2026-11-10", "2026-11-30", "paused", ("Google",)),
    _campaign(
        11,
        "Acme Corp · Clearance 2026",
        "2026-11-12",
        "2026-11-20",
        "completed",
        ("Google",),
        is_deleted=True,
    ),
    _campaign(
        20,
        "Globex · Black Friday 2026",
        "2026-11-01",
        "2026-11-30",
        "active",
        ("Meta",),
        advertiser_id=OTHER_TENANT,
    ),
    _campaign(
        21,
        "Globex · Winter Promo 2026",
        "2026-11-05",
        "2027-01-31",
        "active",
        ("Google", "Snapchat"),
        advertiser_id=OTHER_TENANT,
    ),
    _campaign(
        22,
        "Globex · Loyalty 2026",
        "2026-07-01",
        "2026-12-31",
        "active",
        ("Pinterest",),
        advertiser_id=OTHER_TENANT,
    ),
]
OWN_IDS = {c.campaign_id for c in CAMPAIGNS if c.advertiser_id == TENANT}
