"""Meta Marketing API: ad-level daily insights, ``GET /v{N}.0/act_{account}/insights``.

Synchronous insights with ``level=ad`` and ``time_increment=1`` (one row per ad and day),
followed through ``paging.next``. Numbers arrive as strings. Conversions are the sum of the
``actions`` (and their values, of ``action_values``) whose type is in
``conversion_action_types``. Meta throttles with HTTP 400 and an ``error.code``; expired or
revoked tokens are code 190 and cannot be refreshed through the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import dlt
import requests
from dlt.sources import DltResource
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator
from dlt.sources.rest_api import rest_api_resources

from dlt_pipelines.ad_apis import http, report
from dlt_pipelines.ad_apis.auth import QueryToken

LABEL = "Meta Marketing API"
# Meta's rate-limit codes (API, app, user, ad account, Business Use Case): retried
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
# invalid or expired OAuth token, invalid session
TOKEN_CODES = frozenset({102, 190})
TOKEN_FIX = (
    "create a new access token (a system user's for unattended loads), set META_ADS_ACCESS_TOKEN"
)
REQUEST_FIX = "check META_ADS_ACCOUNT_IDS and [sources.meta_ads] in dlt_pipelines/.dlt/config.toml"

FIELDS = (
    "account_id",
    "account_name",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "impressions",
    "inline_link_clicks",
    "clicks",
    "spend",
    "actions",
    "action_values",
)

COLUMNS = {
    "account_id": report.text(nullable=False),
    "account_name": report.text(),
    "account_currency": report.text(),
    "campaign_id": report.text(),
    "campaign_name": report.text(),
    "adset_id": report.text(),
    "adset_name": report.text(),
    "ad_id": report.text(nullable=False),
    "ad_name": report.text(),
    "date_start": report.day(),
    "impressions": report.count(),
    "inline_link_clicks": report.count(),
    "clicks": report.count(),
    "spend": report.money(),
    "conversions": report.money(),
    "conversions_value": report.money(),
}


def check(response: requests.Response) -> http.AdApiError | None:
    body = http.json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    if response.ok and error is None and isinstance(body, dict):
        if isinstance(body.get("data"), list):
            return None
        detail = f"no `data` list in {http.shorten(response.text)}"
        return http.AdApiError(
            f"{LABEL} sent an unexpected page ({detail}); {REQUEST_FIX}", response
        )
    if not isinstance(error, dict):
        return http.http_error(LABEL, response, response.text, REQUEST_FIX)
    code = error.get("code")
    detail = f"HTTP {response.status_code}, error code {code}: {http.shorten(error.get('message'))}"
    if code in THROTTLE_CODES or error.get("is_transient"):
        return http.AdApiThrottledError(
            f"{LABEL} kept throttling ({detail}) through dlt's retries "
            "([runtime] request_max_attempts); wait for the quota to recover and re-run",
            response,
        )
    if code in TOKEN_CODES:
        return http.AdApiTokenError(f"{LABEL} rejected the access token ({detail}); {TOKEN_FIX}")
    if response.status_code == 429 or response.status_code >= 500:
        return http.http_error(LABEL, response, detail, REQUEST_FIX)
    return http.AdApiError(f"{LABEL} refused the request ({detail}); {REQUEST_FIX}", response)


def _action_sum(actions: Iterable[dict[str, Any]] | None, types: frozenset[str]) -> Decimal:
    return sum(
        (report.as_decimal(a.get("value")) for a in actions or () if a.get("action_type") in types),
        Decimal(0),
    )


def row_mapper(conversion_action_types: Sequence[str]) -> Any:
    types = frozenset(conversion_action_types)

    def to_row(item: dict[str, Any]) -> dict[str, Any]:
        return {
            "account_id": item["account_id"],
            "account_name": item.get("account_name"),
            "account_currency": item.get("account_currency"),
            "campaign_id": item.get("campaign_id"),
            "campaign_name": item.get("campaign_name"),
            "adset_id": item.get("adset_id"),
            "adset_name": item.get("adset_name"),
            "ad_id": item["ad_id"],
            "ad_name": item.get("ad_name"),
            "date_start": dt.date.fromisoformat(item["date_start"]),
            "impressions": report.as_int(item.get("impressions")),
            "inline_link_clicks": report.as_int(item.get("inline_link_clicks")),
            "clicks": report.as_int(item.get("clicks")),
            "spend": report.as_decimal(item.get("spend")),
            "conversions": _action_sum(item.get("actions"), types),
            "conversions_value": _action_sum(item.get("action_values"), types),
        }

    return to_row


@dlt.source(name="meta_ads", max_table_nesting=0)
def meta_ads(
    account_ids: Sequence[str] = dlt.config.value,
    access_token: str = dlt.secrets.value,
    base_url: str = "https://graph.facebook.com",
    api_version: str = dlt.config.value,
    page_size: int = dlt.config.value,
    attribution_window_days: int = dlt.config.value,
    initial_lookback_days: int = dlt.config.value,
    conversion_action_types: Sequence[str] = dlt.config.value,
    end_date: dt.date | None = None,
) -> list[DltResource]:
    """One ``ad_report`` resource per ad account (ids without the ``act_`` prefix)."""
    first_day, last_day = report.range_of_days(end_date, initial_lookback_days)
    session = http.session()
    session.auth = QueryToken(access_token)
    to_row = row_mapper(conversion_action_types)
    resources = [
        report.report_resource(
            account_id=account_id,
            endpoint={
                "path": f"act_{account_id}/insights",
                "params": {
                    "level": "ad",
                    "fields": ",".join(FIELDS),
                    "time_increment": 1,
                    # rest_api formats parameter values, so the bracket form and not the
                    # JSON object time_range={"since": ...}
                    "time_range[since]": "{incremental.start_value}",
                    "time_range[until]": last_day.isoformat(),
                    "limit": page_size,
                },
                "paginator": JSONLinkPaginator(next_url_path="paging.next"),
                "data_selector": "data",
                "incremental": report.incremental("date_start", first_day, attribution_window_days),
            },
            check=check,
            to_row=to_row,
            primary_key=("account_id", "ad_id", "date_start"),
            merge_key=("account_id", "date_start"),
            columns=COLUMNS,
        )
        for account_id in account_ids
    ]
    return rest_api_resources(
        {
            "client": {"base_url": f"{base_url.rstrip('/')}/{api_version}/", "session": session},
            "resources": resources,
        }
    )
