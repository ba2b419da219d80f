"""Fake Google Ads API ``googleAds:search``: GAQL body, ``nextPageToken``, proto3 JSON."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import TYPE_CHECKING, Any

from tests.fake_ad_apis.data import Row
from tests.fake_ad_apis.wire import GOOGLE_DEVELOPER_TOKEN, Answer, Request, token, untoken

if TYPE_CHECKING:
    from tests.fake_ad_apis.server import FakeAdApis


def serve(fake: FakeAdApis, request: Request) -> Answer:
    method, path, _, headers, body, kind = request

    def error(status: int, code: str, detail: dict[str, str], message: str) -> Answer:
        failure = {
            "@type": "type.googleapis.com/google.ads.googleads.v23.errors.GoogleAdsFailure",
            "errors": [{"errorCode": detail, "message": message}],
            "requestId": "fake-request-id",
        }
        return Answer(
            status,
            {
                "error": {
                    "code": status,
                    "message": message,
                    "status": code,
                    "details": [failure],
                }
            },
        )

    match = re.fullmatch(r"v\d+/customers/(\d+)/googleAds:search", path)
    if method != "POST" or not match:
        return error(404, "NOT_FOUND", {"requestError": "UNKNOWN"}, f"No {method} {path}")
    if not fake.bearer_ok("google_ads", headers):
        return error(
            401,
            "UNAUTHENTICATED",
            {"authenticationError": "OAUTH_TOKEN_EXPIRED"},
            "Request had invalid authentication credentials.",
        )
    if headers.get("developer-token") != GOOGLE_DEVELOPER_TOKEN:
        return error(
            403,
            "PERMISSION_DENIED",
            {"authorizationError": "DEVELOPER_TOKEN_NOT_APPROVED"},
            "The developer token is not approved.",
        )
    if not isinstance(body, dict) or "query" not in body:
        return error(400, "INVALID_ARGUMENT", {"requestError": "INVALID_INPUT"}, "No query.")
    if "pageSize" in body:
        return error(
            400,
            "INVALID_ARGUMENT",
            {"requestError": "PAGE_SIZE_NOT_SUPPORTED"},
            "Setting the page size is not supported.",
        )
    gaql = body["query"]
    dates = re.search(r"segments\.date BETWEEN '([\d-]+)' AND '([\d-]+)'", gaql)
    if " FROM ad_group_ad " not in f" {gaql} " or not dates:
        return error(
            400,
            "INVALID_ARGUMENT",
            {"queryError": "UNEXPECTED_INPUT"},
            "This fake serves ad_group_ad with a segments.date BETWEEN range.",
        )
    query_hash = hashlib.sha256(gaql.encode()).hexdigest()[:16]
    offset = 0
    if body.get("pageToken"):
        cursor = untoken(body["pageToken"])
        if cursor["query"] != query_hash:
            return error(
                400,
                "INVALID_ARGUMENT",
                {"requestError": "INVALID_PAGE_TOKEN"},
                "Page token does not match the query.",
            )
        offset = cursor["offset"]
    since, until = (dt.date.fromisoformat(d) for d in dates.groups())
    rows = fake.data["google_ads"].rows(match.group(1), since, until)
    size = max(1, fake.google_page_size // 2) if kind == "short_page" else fake.google_page_size
    page = rows[offset : offset + size]
    answer: dict[str, Any] = {"fieldMask": "customer.id,campaign.id,ad_group.id,segments.date"}
    if page:
        answer["results"] = [render(r) for r in page]
    if offset + len(page) < len(rows):
        answer["nextPageToken"] = token({"offset": offset + len(page), "query": query_hash})
    return Answer(200, answer)


def render(row: Row) -> dict[str, Any]:
    ad, s, cid = row.ad, row.stats, row.ad.account_id
    metrics: dict[str, Any] = {
        "impressions": str(s.impressions),
        "clicks": str(s.clicks),
        "costMicros": str(int(s.spend.scaleb(6))),
        "conversions": float(s.conversions),
        "conversionsValue": float(s.conversions_value),
    }
    # proto3 JSON leaves out fields at their default value
    metrics = {k: v for k, v in metrics.items() if v not in ("0", 0.0)}
    return {
        "customer": {
            "resourceName": f"customers/{cid}",
            "id": cid,
            "descriptiveName": ad.account_name,
            "currencyCode": "USD",
        },
        "campaign": {
            "resourceName": f"customers/{cid}/campaigns/{ad.campaign_id}",
            "id": ad.campaign_id,
            "name": ad.campaign_name,
        },
        "adGroup": {
            "resourceName": f"customers/{cid}/adGroups/{ad.ad_group_id}",
            "id": ad.ad_group_id,
            "name": ad.ad_group_name,
        },
        "adGroupAd": {
            "resourceName": f"customers/{cid}/adGroupAds/{ad.ad_group_id}~{ad.ad_id}",
            "ad": {
                "resourceName": f"customers/{cid}/ads/{ad.ad_id}",
                "id": ad.ad_id,
                "name": ad.ad_name,
            },
        },
        "metrics": metrics,
        "segments": {"date": row.day.isoformat()},
    }
