"""Fake LinkedIn Marketing API ``adAnalytics``: Rest.li 2.0 query syntax, versioned."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from tests.fake_ad_apis.data import Row
from tests.fake_ad_apis.wire import Answer, Request, money

if TYPE_CHECKING:
    from tests.fake_ad_apis.server import FakeAdApis


LINKEDIN_VERSION = re.compile(r"^20\d{4}$")


def serve(fake: FakeAdApis, request: Request) -> Answer:
    method, path, raw_query, headers, _, _ = request

    def error(status: int, code: str, message: str) -> Answer:
        return Answer(status, {"status": status, "code": code, "message": message})

    if method != "GET" or path != "rest/adAnalytics":
        return error(404, "NOT_FOUND", f"No {method} {path}")
    if not fake.bearer_ok("linkedin_ads", headers):
        return error(401, "INVALID_ACCESS_TOKEN", "Invalid access token")
    if not LINKEDIN_VERSION.match(headers.get("LinkedIn-Version", "")):
        return error(400, "VERSION_MISSING", "A version must be present (LinkedIn-Version)")
    if headers.get("X-Restli-Protocol-Version") != "2.0.0":
        return error(400, "ILLEGAL_ARGUMENT", "X-Restli-Protocol-Version 2.0.0 is required")
    if re.search(r"%28|%29|%2C", raw_query, re.IGNORECASE):
        return error(400, "ILLEGAL_ARGUMENT", "Rest.li structure characters must not be encoded")
    query = dict(pair.partition("=")[::2] for pair in raw_query.split("&") if pair)
    expected = {
        "q": "statistics",
        "pivots": "List(CAMPAIGN_GROUP,CAMPAIGN,CREATIVE)",
        "timeGranularity": "DAILY",
    }
    if any(query.get(k) != v for k, v in expected.items()):
        return error(400, "ILLEGAL_ARGUMENT", f"This fake serves {expected}")
    dates = re.fullmatch(
        r"\(start:\(year:(\d+),month:(\d+),day:(\d+)\),end:\(year:(\d+),month:(\d+),day:(\d+)\)\)",
        query.get("dateRange", ""),
    )
    accounts = re.fullmatch(r"List\(([^()]*)\)", query.get("accounts", ""))
    if not dates or not accounts:
        return error(400, "ILLEGAL_ARGUMENT", "Invalid dateRange or accounts")
    numbers = [int(n) for n in dates.groups()]
    since, until = dt.date(*numbers[:3]), dt.date(*numbers[3:])
    elements = []
    for urn in accounts.group(1).split(","):
        account_id = unquote(urn).removeprefix("urn:li:sponsoredAccount:")
        rows = fake.data["linkedin_ads"].rows(account_id, since, until)
        elements.extend(render(r) for r in rows)
    return Answer(200, {"paging": {"start": 0, "count": 10, "links": []}, "elements": elements})


def render(row: Row) -> dict[str, Any]:
    ad, s = row.ad, row.stats
    day = {"year": row.day.year, "month": row.day.month, "day": row.day.day}
    return {
        "pivotValues": [
            f"urn:li:sponsoredCampaignGroup:{ad.campaign_id}",
            f"urn:li:sponsoredCampaign:{ad.ad_group_id}",
            f"urn:li:sponsoredCreative:{ad.ad_id}",
        ],
        "dateRange": {"start": day, "end": day},
        "impressions": s.impressions,
        "clicks": s.clicks,
        "costInUsd": money(s.spend),
        "costInLocalCurrency": money(s.spend),
        "externalWebsiteConversions": int(s.primary_conversions),
        "oneClickLeads": s.secondary_conversions,
        "conversionValueInLocalCurrency": money(s.conversions_value),
    }
