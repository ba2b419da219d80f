"""The caller's campaigns, from a published build: what clients (and questions) pick from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from campaign_analytics.metrics.compiler import quote


@dataclass(frozen=True)
class CampaignInfo:
    campaign_id: int
    name: str
    advertiser_id: int
    status: str
    start_date: dt.date
    end_date: dt.date
    is_deleted: bool
    platforms: tuple[str, ...]  # the channels it has events on, by name
    currency: str = "USD"  # ISO 4217: its money metrics are in this currency

    def as_json(self) -> dict[str, Any]:
        return {
            "campaign_id": self.campaign_id,
            "name": self.name,
            "advertiser_id": self.advertiser_id,
            "status": self.status,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "is_deleted": self.is_deleted,
            "platforms": list(self.platforms),
            "currency": self.currency,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CampaignInfo:
        """The inverse of :meth:`as_json` (a cached listing back into campaigns)."""
        return cls(
            int(data["campaign_id"]),
            str(data["name"]),
            int(data["advertiser_id"]),
            str(data["status"]),
            dt.date.fromisoformat(data["start_date"]),
            dt.date.fromisoformat(data["end_date"]),
            bool(data["is_deleted"]),
            tuple(data["platforms"]),
            str(data.get("currency", "USD")),
        )


def list_campaigns(db: Any, database: str, tenant: int | None) -> list[CampaignInfo]:
    """Campaigns of advertiser ``tenant`` (every advertiser's for None), by id."""
    db_name = quote(database)
    answer = db.query(
        f"""
        select
            campaigns.campaign_id,
            campaigns.campaign_name,
            campaigns.advertiser_id,
            toString(campaigns.campaign_status),
            campaigns.start_date,
            campaigns.end_date,
            campaigns.is_deleted,
            arraySort(groupUniqArrayIf(toString(channels.channel_name), channels.channel_id != 0)),
            toString(any(campaigns.currency_code))
        from {db_name}.dim_campaigns as campaigns
        left join (
            select distinct campaign_id, channel_id
            from {db_name}.fct_campaign_performance_daily
        ) as performance on performance.campaign_id = campaigns.campaign_id
        left join {db_name}.dim_channels as channels
            on channels.channel_id = performance.channel_id
        where {{tenant:Nullable(Int64)}} is null
            or campaigns.advertiser_id = {{tenant:Nullable(Int64)}}
        group by 1, 2, 3, 4, 5, 6, 7
        order by campaigns.campaign_id
        """,
        parameters={"tenant": tenant},
        settings={"join_use_nulls": 0},
    )
    return [
        CampaignInfo(
            int(r[0]), str(r[1]), int(r[2]), r[3], r[4], r[5], bool(r[6]), tuple(r[7]), str(r[8])
        )
        for r in answer.result_rows
    ]


def list_platforms(db: Any, database: str) -> list[str]:
    """Every platform (channel) name of a published build."""
    answer = db.query(
        f"select toString(channel_name) from {quote(database)}.dim_channels order by 1"
    )
    return [row[0] for row in answer.result_rows]
