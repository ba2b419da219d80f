"""Fake Meta Marketing API insights: string numbers, ``paging.next``, HTTP 400 ``error.code``."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

from tests.fake_ad_apis.data import META_ADD_TO_CART, META_LEAD, META_PURCHASE, Row
from tests.fake_ad_apis.wire import META_TOKEN, Answer, Request, money, token, untoken

if TYPE_CHECKING:
    from tests.fake_ad_apis.server import FakeAdApis


def serve(fake: FakeAdApis, request: Request) -> Answer:
    method, path, raw_query, _, _, kind = request

    def error(code: int, message: str, status: int = 400, **extra: Any) -> Answer:
        payload = {"message": message, "type": "OAuthException", "code": code, **extra}
        return Answer(status, {"error": {**payload, "fbtrace_id": "AfakeTraceId"}})

    match = re.fullmatch(r"v\d+\.0/act_(\d+)/insights", path)
    if method != "GET" or not match:
        return error(100, f"(#100) Unsupported request: {method} {path}")
    query = {k: v[0] for k, v in parse_qs(raw_query).items()}
    if kind == "meta_throttle":
        return error(17, "(#17) User request limit reached", is_transient=True)
    if kind == "meta_token" or query.get("access_token") != META_TOKEN:
        return error(190, "Error validating access token: Session has expired.", 400)
    try:
        since = dt.date.fromisoformat(query["time_range[since]"])
        until = dt.date.fromisoformat(query["time_range[until]"])
    except (KeyError, ValueError):
        return error(100, "(#100) time_range must have since and until dates")
    if query.get("level") != "ad" or query.get("time_increment") != "1":
        return error(100, "(#100) this fake serves level=ad&time_increment=1 only")
    fields = set(query.get("fields", "").split(","))
    required = {"ad_id", "impressions", "inline_link_clicks", "spend", "actions"}
    if not required <= fields:
        return error(100, f"(#100) fields must include {sorted(required - fields)}")
    limit = int(query.get("limit", 25))
    offset = int(untoken(query["after"])["offset"]) if "after" in query else 0
    rows = fake.data["meta_ads"].rows(match.group(1), since, until)
    size = max(1, limit // 2) if kind == "short_page" else limit
    page = rows[offset : offset + size]
    answer: dict[str, Any] = {"data": [render(r) for r in page]}
    if page:
        end = offset + len(page)
        cursors = {"before": token({"offset": offset}), "after": token({"offset": end})}
        answer["paging"] = {"cursors": cursors}
        if end < len(rows):
            following = {k: v for k, v in query.items() if k != "after"}
            following["after"] = cursors["after"]
            answer["paging"]["next"] = f"{fake.url('meta_ads')}/{path}?{urlencode(following)}"
    return Answer(200, answer)


def render(row: Row) -> dict[str, Any]:
    ad, s = row.ad, row.stats
    actions = [{"action_type": "link_click", "value": str(s.clicks)}]
    values = []
    purchases, leads = s.primary_conversions, s.secondary_conversions
    if purchases:
        actions.append({"action_type": META_PURCHASE, "value": str(purchases)})
        values.append({"action_type": META_PURCHASE, "value": money(s.conversions_value)})
    if leads:
        actions.append({"action_type": META_LEAD, "value": str(leads)})
    if s.uncounted_conversions:
        actions.append({"action_type": META_ADD_TO_CART, "value": str(s.uncounted_conversions)})
        values.append({"action_type": META_ADD_TO_CART, "value": money(s.uncounted_value)})
    if not purchases and s.conversions_value:
        values.append({"action_type": META_LEAD, "value": money(s.conversions_value)})
    item = {
        "account_id": ad.account_id,
        "account_name": ad.account_name,
        "account_currency": "USD",
        "campaign_id": ad.campaign_id,
        "campaign_name": ad.campaign_name,
        "adset_id": ad.ad_group_id,
        "adset_name": ad.ad_group_name,
        "ad_id": ad.ad_id,
        "ad_name": ad.ad_name,
        "impressions": str(s.impressions),
        "inline_link_clicks": str(s.clicks),
        "clicks": str(s.all_clicks),
        "spend": money(s.spend),
        "actions": actions,
        "date_start": row.day.isoformat(),
        "date_stop": row.day.isoformat(),
    }
    if values:
        item["action_values"] = values
    return item
