"""Google Ads API (REST): ad-level daily metrics, ``POST /v{N}/customers/{id}/googleAds:search``.

A GAQL query over ``ad_group_ad`` segmented by ``segments.date``, paged by sending the
response's ``nextPageToken`` back as ``pageToken`` in the body (the page size is fixed by the
API: current versions reject ``pageSize``). Requests carry the ``developer-token`` header,
``login-customer-id`` when a manager account grants access, and an OAuth access token from the
refresh-token grant, refreshed once on a 401. int64 fields arrive as strings, zero values are
left out (proto3 JSON), cost is in micros and conversions are fractional.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import dlt
import requests
from dlt.sources import DltResource
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from dlt.sources.rest_api import rest_api_resources

from dlt_pipelines.ad_apis import http, report
from dlt_pipelines.ad_apis.auth import OAuthRefreshToken

LABEL = "Google Ads API"
TOKEN_FIX = (
    "re-authorize and set GOOGLE_ADS_REFRESH_TOKEN (with GOOGLE_ADS_CLIENT_ID and "
    "GOOGLE_ADS_CLIENT_SECRET of the same OAuth client)"
)
ACCESS_FIX = (
    "check GOOGLE_ADS_DEVELOPER_TOKEN, GOOGLE_ADS_LOGIN_CUSTOMER_ID and that the user can read "
    "the customer"
)
REQUEST_FIX = (
    "check GOOGLE_ADS_ACCOUNT_IDS and [sources.google_ads] in dlt_pipelines/.dlt/config.toml"
)

QUERY = (
    "SELECT customer.id, customer.descriptive_name, customer.currency_code, campaign.id, "
    "campaign.name, ad_group.id, ad_group.name, ad_group_ad.ad.id, ad_group_ad.ad.name, "
    "segments.date, metrics.impressions, metrics.clicks, metrics.cost_micros, "
    "metrics.conversions, metrics.conversions_value "
    "FROM ad_group_ad "
    "WHERE segments.date BETWEEN '{{incremental.start_value}}' AND '{last_day}'"
)

COLUMNS = {
    "customer_id": report.text(nullable=False),
    "customer_name": report.text(),
    "currency_code": report.text(),
    "campaign_id": report.text(),
    "campaign_name": report.text(),
    "ad_group_id": report.text(nullable=False),
    "ad_group_name": report.text(),
    "ad_id": report.text(nullable=False),
    "ad_name": report.text(),
    "segments_date": report.day(),
    "impressions": report.count(),
    "clicks": report.count(),
    "cost_micros": report.count(),
    "conversions": {"data_type": "double", "nullable": False},
    "conversions_value": report.money(),
}


def _failure_message(error: dict[str, Any]) -> str:
    """The first GoogleAdsFailure error's message, else the status message."""
    for detail in error.get("details") or ():
        for failure in detail.get("errors") or ():
            if failure.get("message"):
                codes = ", ".join(f"{k}={v}" for k, v in (failure.get("errorCode") or {}).items())
                return f"{codes}: {failure['message']}" if codes else failure["message"]
    return str(error.get("message") or "")


def check(response: requests.Response) -> http.AdApiError | None:
    body = http.json_body(response)
    if response.ok:
        if isinstance(body, dict) and isinstance(body.get("results", []), list):
            return None  # an empty page has no `results` at all
        detail = f"no JSON object with `results` in {http.shorten(response.text)}"
        return http.AdApiError(
            f"{LABEL} sent an unexpected page ({detail}); {REQUEST_FIX}", response
        )
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return http.http_error(LABEL, response, response.text, REQUEST_FIX)
    status = error.get("status")
    detail = f"HTTP {response.status_code} {status}: {http.shorten(_failure_message(error))}"
    if response.status_code == 401 or status == "UNAUTHENTICATED":
        return http.AdApiTokenError(
            f"{LABEL} rejected the access token even after a refresh ({detail}); {TOKEN_FIX}",
            response,
        )
    if response.status_code == 403 or status == "PERMISSION_DENIED":
        return http.AdApiError(f"{LABEL} denied access ({detail}); {ACCESS_FIX}", response)
    if response.status_code == 429 or status in {"RESOURCE_EXHAUSTED", "UNAVAILABLE"}:
        return http.AdApiThrottledError(
            f"{LABEL} kept throttling ({detail}) through dlt's retries "
            "([runtime] request_max_attempts); wait for the quota to recover and re-run",
            response,
        )
    if response.status_code >= 500:
        return http.http_error(LABEL, response, detail, REQUEST_FIX)
    return http.AdApiError(f"{LABEL} refused the request ({detail}); {REQUEST_FIX}", response)


def to_row(item: dict[str, Any]) -> dict[str, Any]:
    customer = item.get("customer") or {}
    campaign = item.get("campaign") or {}
    ad_group = item.get("adGroup") or {}
    ad = (item.get("adGroupAd") or {}).get("ad") or {}
    metrics = item.get("metrics") or {}
    return {
        "customer_id": customer["id"],
        "customer_name": customer.get("descriptiveName"),
        "currency_code": customer.get("currencyCode"),
        "campaign_id": campaign.get("id"),
        "campaign_name": campaign.get("name"),
        "ad_group_id": ad_group["id"],
        "ad_group_name": ad_group.get("name"),
        "ad_id": ad["id"],
        "ad_name": ad.get("name"),
        "segments_date": dt.date.fromisoformat(item["segments"]["date"]),
        "impressions": report.as_int(metrics.get("impressions")),
        "clicks": report.as_int(metrics.get("clicks")),
        "cost_micros": report.as_int(metrics.get("costMicros")),
        "conversions": float(metrics.get("conversions") or 0),
        "conversions_value": report.as_decimal(metrics.get("conversionsValue")),
    }


@dlt.source(name="google_ads", max_table_nesting=0)
def google_ads(
    account_ids: Sequence[str] = dlt.config.value,
    developer_token: str = dlt.secrets.value,
    client_id: str = dlt.secrets.value,
    client_secret: str = dlt.secrets.value,
    refresh_token: str = dlt.secrets.value,
    login_customer_id: str | None = None,
    token_url: str = "https://oauth2.googleapis.com/token",
    base_url: str = "https://googleads.googleapis.com",
    api_version: str = dlt.config.value,
    attribution_window_days: int = dlt.config.value,
    initial_lookback_days: int = dlt.config.value,
    end_date: dt.date | None = None,
) -> list[DltResource]:
    """One ``ad_report`` resource per customer id (digits only)."""
    first_day, last_day = report.range_of_days(end_date, initial_lookback_days)
    session = http.session()
    session.auth = OAuthRefreshToken(
        label=LABEL,
        token_url=token_url,
        client_id=client_id,
        client_secret=client_secret,
        refresh_token=refresh_token,
        fix=TOKEN_FIX,
    )
    headers = {"developer-token": developer_token}
    if login_customer_id:
        headers["login-customer-id"] = login_customer_id.replace("-", "")
    resources = [
        report.report_resource(
            account_id=account_id,
            endpoint={
                "path": f"customers/{account_id}/googleAds:search",
                "method": "POST",
                "json": {"query": QUERY.format(last_day=last_day.isoformat())},
                "paginator": JSONResponseCursorPaginator(
                    cursor_path="nextPageToken", cursor_body_path="pageToken"
                ),
                "data_selector": "results",
                "incremental": report.incremental(
                    "segments_date", first_day, attribution_window_days
                ),
            },
            check=check,
            to_row=to_row,
            # an ad is identified within its ad group (ad_group_ad = ad_group_id~ad_id)
            primary_key=("customer_id", "ad_group_id", "ad_id", "segments_date"),
            merge_key=("customer_id", "segments_date"),
            columns=COLUMNS,
        )
        for account_id in account_ids
    ]
    return rest_api_resources(
        {
            "client": {
                "base_url": f"{base_url.rstrip('/')}/{api_version}/",
                "headers": headers,
                "session": session,
            },
            "resources": resources,
        }
    )
