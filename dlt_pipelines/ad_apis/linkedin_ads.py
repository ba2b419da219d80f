"""LinkedIn Marketing API: creative-level daily analytics, ``GET /rest/adAnalytics``.

The ``statistics`` finder with ``pivots=List(CAMPAIGN_GROUP,CAMPAIGN,CREATIVE)`` and
``timeGranularity=DAILY`` gives one element per creative and day with its campaign and
campaign group (the unified report's campaign is LinkedIn's campaign group). adAnalytics has
no pages and truncates large answers, so the range is asked in windows of
``days_per_request`` days. Versioned (``LinkedIn-Version: YYYYMM``), Rest.li 2.0 query syntax,
Bearer token: a refresh token (with the client id and secret) renews it once on a 401.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import dlt
import requests
from dlt.sources import DltResource
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.rest_api import rest_api_resources

from dlt_pipelines.ad_apis import http, report
from dlt_pipelines.ad_apis.auth import OAuthRefreshToken
from dlt_pipelines.ad_apis.paginators import RestliDateWindowPaginator

LABEL = "LinkedIn Marketing API"
TOKEN_FIX = (
    "set a new LINKEDIN_ADS_ACCESS_TOKEN, or LINKEDIN_ADS_REFRESH_TOKEN with "
    "LINKEDIN_ADS_CLIENT_ID and LINKEDIN_ADS_CLIENT_SECRET"
)
REQUEST_FIX = (
    "check LINKEDIN_ADS_ACCOUNT_IDS and [sources.linkedin_ads] (api_version) in "
    "dlt_pipelines/.dlt/config.toml"
)
PIVOTS = ("CAMPAIGN_GROUP", "CAMPAIGN", "CREATIVE")
URN_PREFIXES = {
    "urn:li:sponsoredCampaignGroup:": "campaign_group_id",
    "urn:li:sponsoredCampaign:": "campaign_id",
    "urn:li:sponsoredCreative:": "creative_id",
}
FIELDS = (
    "dateRange",
    "pivotValues",
    "impressions",
    "clicks",
    "costInUsd",
    "costInLocalCurrency",
    "externalWebsiteConversions",
    "oneClickLeads",
    "conversionValueInLocalCurrency",
)

COLUMNS = {
    "account_id": report.text(nullable=False),
    "campaign_group_id": report.text(),
    "campaign_id": report.text(),
    "creative_id": report.text(nullable=False),
    "date": report.day(),
    "impressions": report.count(),
    "clicks": report.count(),
    "cost_in_usd": report.money(),
    "cost_in_local_currency": report.money(),
    "external_website_conversions": report.count(),
    "one_click_leads": report.count(),
    "conversion_value_in_local_currency": report.money(),
}


def check(response: requests.Response) -> http.AdApiError | None:
    body = http.json_body(response)
    if response.ok:
        if isinstance(body, dict) and isinstance(body.get("elements"), list):
            return None
        detail = f"no `elements` list in {http.shorten(response.text)}"
        return http.AdApiError(
            f"{LABEL} sent an unexpected page ({detail}); {REQUEST_FIX}", response
        )
    message = body.get("message") if isinstance(body, dict) else response.text
    code = body.get("code") if isinstance(body, dict) else None
    detail = f"HTTP {response.status_code} {code or ''}: {http.shorten(message)}".replace(" :", ":")
    if response.status_code == 401:
        return http.AdApiTokenError(f"{LABEL} rejected the access token ({detail}); {TOKEN_FIX}")
    if response.status_code == 429 or response.status_code >= 500:
        return http.http_error(LABEL, response, detail, REQUEST_FIX)
    return http.AdApiError(f"{LABEL} refused the request ({detail}); {REQUEST_FIX}", response)


def row_mapper(account_id: str) -> Any:
    def to_row(item: dict[str, Any]) -> dict[str, Any]:
        ids: dict[str, str | None] = dict.fromkeys(URN_PREFIXES.values())
        for urn in item.get("pivotValues") or ():
            for prefix, column in URN_PREFIXES.items():
                if urn.startswith(prefix):
                    ids[column] = urn.removeprefix(prefix)
        start = item["dateRange"]["start"]
        return {
            "account_id": account_id,
            **ids,
            "date": dt.date(start["year"], start["month"], start["day"]),
            "impressions": report.as_int(item.get("impressions")),
            "clicks": report.as_int(item.get("clicks")),
            "cost_in_usd": report.as_decimal(item.get("costInUsd")),
            "cost_in_local_currency": report.as_decimal(item.get("costInLocalCurrency")),
            "external_website_conversions": report.as_int(item.get("externalWebsiteConversions")),
            "one_click_leads": report.as_int(item.get("oneClickLeads")),
            "conversion_value_in_local_currency": report.as_decimal(
                item.get("conversionValueInLocalCurrency")
            ),
        }

    return to_row


@dlt.source(name="linkedin_ads", max_table_nesting=0)
def linkedin_ads(
    account_ids: Sequence[str] = dlt.config.value,
    access_token: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    refresh_token: str | None = None,
    token_url: str = "https://www.linkedin.com/oauth/v2/accessToken",
    base_url: str = "https://api.linkedin.com",
    api_version: str = dlt.config.value,
    days_per_request: int = dlt.config.value,
    attribution_window_days: int = dlt.config.value,
    initial_lookback_days: int = dlt.config.value,
    end_date: dt.date | None = None,
) -> list[DltResource]:
    """One ``ad_report`` resource per sponsored ad account id."""
    first_day, last_day = report.range_of_days(end_date, initial_lookback_days)
    session = http.session()
    if refresh_token and client_id and client_secret:
        session.auth = OAuthRefreshToken(
            label=LABEL,
            token_url=token_url,
            client_id=client_id,
            client_secret=client_secret,
            refresh_token=refresh_token,
            fix=TOKEN_FIX,
            access_token=access_token,
        )
    elif access_token:
        session.auth = BearerTokenAuth(token=access_token)
    else:
        raise ValueError(f"{LABEL} needs credentials: {TOKEN_FIX}")
    resources = [
        report.report_resource(
            account_id=account_id,
            endpoint={
                "path": "rest/adAnalytics",
                # Rest.li 2.0 values, written into the query string as they are
                "params": {
                    "q": "statistics",
                    "pivots": f"List({','.join(PIVOTS)})",
                    "timeGranularity": "DAILY",
                    "accounts": f"List({quote(f'urn:li:sponsoredAccount:{account_id}', safe='')})",
                    "fields": ",".join(FIELDS),
                    "start": "{incremental.start_value}",
                    "end": last_day.isoformat(),
                },
                "paginator": RestliDateWindowPaginator(window_days=days_per_request),
                "data_selector": "elements",
                "incremental": report.incremental("date", first_day, attribution_window_days),
            },
            check=check,
            to_row=row_mapper(account_id),
            primary_key=("account_id", "creative_id", "date"),
            merge_key=("account_id", "date"),
            columns=COLUMNS,
        )
        for account_id in account_ids
    ]
    return rest_api_resources(
        {
            "client": {
                "base_url": f"{base_url.rstrip('/')}/",
                "headers": {"LinkedIn-Version": api_version, "X-Restli-Protocol-Version": "2.0.0"},
                "session": session,
            },
            "resources": resources,
        }
    )
