"""TikTok API for Business: ad-level daily reports, ``GET /open_api/v1.3/report/integrated/get/``.

A synchronous BASIC report at ``data_level=AUCTION_AD`` with the dimensions ``ad_id`` and
``stat_time_day``, ``Access-Token`` header, paged by ``page`` / ``page_size`` up to
``data.page_info.total_page``, at most 30 days per request (the paginator walks longer
ranges in windows). Errors and throttling come back as **HTTP 200** with a non-zero
``code``: without the check below such a page would load as zero rows. Marketing API access
tokens are long-lived and have no refresh grant: an expired or revoked one fails the load.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import dlt
import requests
from dlt.sources import DltResource
from dlt.sources.rest_api import rest_api_resources

from dlt_pipelines.ad_apis import http, report
from dlt_pipelines.ad_apis.paginators import WindowedPageNumberPaginator

LABEL = "TikTok API for Business"
# app QPS limit (40100, 40016) and advertiser QPS limit (40133): retried, as are 5xxxx
# service errors (50000, 50002, ...)
THROTTLE_CODES = frozenset({40016, 40100, 40133})
# expired, empty, invalid access token
TOKEN_CODES = frozenset({40102, 40104, 40105})
TOKEN_FIX = "re-authorize the app for the advertiser and set TIKTOK_ADS_ACCESS_TOKEN"
REQUEST_FIX = (
    "check TIKTOK_ADS_ACCOUNT_IDS and [sources.tiktok_ads] in dlt_pipelines/.dlt/config.toml"
)
# the API's limit for one request of a report with stat_time_day
MAX_DAYS_PER_REQUEST = 30

ATTRIBUTES = ("advertiser_name", "campaign_id", "campaign_name", "adgroup_id", "adgroup_name")
ATTRIBUTES += ("ad_name", "currency")
MEASURES = ("spend", "impressions", "clicks", "conversion")

COLUMNS = {
    "advertiser_id": report.text(nullable=False),
    "advertiser_name": report.text(),
    "currency": report.text(),
    "campaign_id": report.text(),
    "campaign_name": report.text(),
    "adgroup_id": report.text(),
    "adgroup_name": report.text(),
    "ad_id": report.text(nullable=False),
    "ad_name": report.text(),
    "stat_time_day": report.day(),
    "spend": report.money(),
    "impressions": report.count(),
    "clicks": report.count(),
    "conversion": report.count(),
    "conversion_value": report.money(),
}


def check(response: requests.Response) -> http.AdApiError | None:
    body = http.json_body(response)
    if not response.ok or not isinstance(body, dict) or "code" not in body:
        return http.http_error(LABEL, response, response.text, REQUEST_FIX)
    code = body["code"]
    detail = (
        f"code {code}: {http.shorten(body.get('message'))}, request_id {body.get('request_id')}"
    )
    if code == 0:
        data = body.get("data")
        if isinstance(data, dict) and isinstance(data.get("list"), list):
            return None
        detail = f"code 0 without data.list in {http.shorten(response.text)}"
        return http.AdApiError(
            f"{LABEL} sent an unexpected page ({detail}); {REQUEST_FIX}", response
        )
    if code in THROTTLE_CODES or 50000 <= code < 60000:
        return http.AdApiThrottledError(
            f"{LABEL} kept throttling or failing ({detail}) through dlt's retries "
            "([runtime] request_max_attempts); wait and re-run",
            response,
        )
    if code in TOKEN_CODES:
        return http.AdApiTokenError(f"{LABEL} rejected the access token ({detail}); {TOKEN_FIX}")
    return http.AdApiError(f"{LABEL} refused the request ({detail}); {REQUEST_FIX}", response)


def row_mapper(advertiser_id: str, conversion_value_metric: str) -> Any:
    def to_row(item: dict[str, Any]) -> dict[str, Any]:
        dimensions = item["dimensions"]
        metrics = item.get("metrics") or {}
        return {
            "advertiser_id": advertiser_id,
            "advertiser_name": metrics.get("advertiser_name"),
            "currency": metrics.get("currency"),
            "campaign_id": metrics.get("campaign_id"),
            "campaign_name": metrics.get("campaign_name"),
            "adgroup_id": metrics.get("adgroup_id"),
            "adgroup_name": metrics.get("adgroup_name"),
            "ad_id": dimensions["ad_id"],
            "ad_name": metrics.get("ad_name"),
            # "2026-11-01 00:00:00": the day, in the advertiser's timezone
            "stat_time_day": dt.date.fromisoformat(dimensions["stat_time_day"][:10]),
            "spend": report.as_decimal(metrics.get("spend")),
            "impressions": report.as_int(metrics.get("impressions")),
            "clicks": report.as_int(metrics.get("clicks")),
            "conversion": report.as_int(metrics.get("conversion")),
            "conversion_value": report.as_decimal(metrics.get(conversion_value_metric)),
        }

    return to_row


@dlt.source(name="tiktok_ads", max_table_nesting=0)
def tiktok_ads(
    account_ids: Sequence[str] = dlt.config.value,
    access_token: str = dlt.secrets.value,
    base_url: str = "https://business-api.tiktok.com",
    page_size: int = dlt.config.value,
    attribution_window_days: int = dlt.config.value,
    initial_lookback_days: int = dlt.config.value,
    conversion_value_metric: str = dlt.config.value,
    end_date: dt.date | None = None,
) -> list[DltResource]:
    """One ``ad_report`` resource per advertiser id."""
    first_day, last_day = report.range_of_days(end_date, initial_lookback_days)
    session = http.session()
    session.headers["Access-Token"] = access_token
    metrics = json.dumps([*ATTRIBUTES, *MEASURES, conversion_value_metric])
    resources = [
        report.report_resource(
            account_id=account_id,
            endpoint={
                "path": "open_api/v1.3/report/integrated/get/",
                "params": {
                    "advertiser_id": account_id,
                    "report_type": "BASIC",
                    "data_level": "AUCTION_AD",
                    "dimensions": json.dumps(["ad_id", "stat_time_day"]),
                    "metrics": metrics,
                    "start_date": "{incremental.start_value}",
                    "end_date": last_day.isoformat(),
                    "page_size": page_size,
                },
                "paginator": WindowedPageNumberPaginator(
                    window_days=MAX_DAYS_PER_REQUEST, total_path="data.page_info.total_page"
                ),
                "data_selector": "data.list",
                "incremental": report.incremental(
                    "stat_time_day", first_day, attribution_window_days
                ),
            },
            check=check,
            to_row=row_mapper(account_id, conversion_value_metric),
            primary_key=("advertiser_id", "ad_id", "stat_time_day"),
            merge_key=("advertiser_id", "stat_time_day"),
            columns=COLUMNS,
        )
        for account_id in account_ids
    ]
    return rest_api_resources(
        {
            "client": {"base_url": f"{base_url.rstrip('/')}/", "session": session},
            "resources": resources,
        }
    )
