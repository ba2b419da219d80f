"""Fake TikTok API for Business reports: HTTP-200 ``code`` errors, page numbers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from tests.fake_ad_apis.data import Row
from tests.fake_ad_apis.wire import TIKTOK_TOKEN, Answer, Request, money

if TYPE_CHECKING:
    from tests.fake_ad_apis.server import FakeAdApis


TIKTOK_METRICS = frozenset(
    {
        "advertiser_name",
        "campaign_id",
        "campaign_name",
        "adgroup_id",
        "adgroup_name",
        "ad_name",
        "currency",
        "spend",
        "impressions",
        "clicks",
        "conversion",
        "total_complete_payment_rate",
    }
)


def serve(fake: FakeAdApis, request: Request) -> Answer:
    method, path, raw_query, headers, _, kind = request
    request_id = f"fake{len(fake.requests):08d}"

    def answer(code: int, message: str, data: Any = None) -> Answer:
        payload = {"code": code, "message": message, "request_id": request_id}
        return Answer(200, {**payload, "data": data if data is not None else {}})

    if method != "GET" or path != "open_api/v1.3/report/integrated/get/":
        return answer(40002, f"Invalid request path: {method} {path}")
    if kind == "tiktok_throttle":
        return answer(40100, "Too many requests. Please retry in some time.")
    if kind == "tiktok_token":
        return answer(40102, "Access token has expired.")
    if kind == "tiktok_error":
        return answer(40002, "Invalid value for metrics: [conversion_rate_v3].")
    if headers.get("Access-Token") != TIKTOK_TOKEN:
        return answer(40105, "Access token is incorrect or has been revoked.")
    query = {k: v[0] for k, v in parse_qs(raw_query).items()}
    try:
        since = dt.date.fromisoformat(query["start_date"])
        until = dt.date.fromisoformat(query["end_date"])
        dimensions = json.loads(query["dimensions"])
        metrics = json.loads(query["metrics"])
        page, page_size = int(query.get("page", 1)), int(query.get("page_size", 10))
    except (KeyError, ValueError):
        return answer(40002, "start_date, end_date, dimensions and metrics are required.")
    if (query.get("report_type"), query.get("data_level")) != ("BASIC", "AUCTION_AD"):
        return answer(40002, "This fake serves report_type=BASIC, data_level=AUCTION_AD.")
    if dimensions != ["ad_id", "stat_time_day"]:
        return answer(40002, "This fake serves dimensions [ad_id, stat_time_day].")
    if (until - since).days >= 30:
        return answer(40002, "The time range cannot exceed 30 days with stat_time_day.")
    unknown = set(metrics) - TIKTOK_METRICS
    if unknown or not 1 <= page_size <= 1000 or page < 1:
        return answer(40002, f"Invalid metrics {sorted(unknown)} or page/page_size.")
    rows = fake.data["tiktok_ads"].rows(query.get("advertiser_id", ""), since, until)
    total_pages = -(-len(rows) // page_size)
    page_rows = rows[(page - 1) * page_size : page * page_size]
    return answer(
        0,
        "OK",
        {
            "list": [render(r, metrics) for r in page_rows],
            "page_info": {
                "page": page,
                "page_size": page_size,
                "total_number": len(rows),
                "total_page": total_pages,
            },
        },
    )


def render(row: Row, metrics: Sequence[str]) -> dict[str, Any]:
    ad, s = row.ad, row.stats
    values = {
        "advertiser_name": ad.account_name,
        "campaign_id": ad.campaign_id,
        "campaign_name": ad.campaign_name,
        "adgroup_id": ad.ad_group_id,
        "adgroup_name": ad.ad_group_name,
        "ad_name": ad.ad_name,
        "currency": "USD",
        "spend": money(s.spend),
        "impressions": str(s.impressions),
        "clicks": str(s.clicks),
        "conversion": str(s.conversions),
        "total_complete_payment_rate": money(s.conversions_value),
    }
    return {
        "dimensions": {"ad_id": ad.ad_id, "stat_time_day": f"{row.day} 00:00:00"},
        "metrics": {name: values[name] for name in metrics},
    }
