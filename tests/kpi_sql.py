"""KPIs computed in plain SQL on PostgreSQL: the truth every path is compared with.

The SQL follows the marts' documentation, not their code: clicks count on their impression's
day, conversions on their own day and only inside the attribution window (parameter
``window``, days); every ratio is a ratio of sums, NULL on a zero denominator.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from tests.pipeline import postgres_rows

WINDOW = 30  # the project's default attribution window: the service's builds use it
RATIOS = {"ctr", "cvr", "cpc", "cpm", "cpa", "roas"}
INSIGHTS = ("impressions", "clicks", "conversions", "spend", "revenue", *sorted(RATIOS))

PG_EVENTS = """
events as (
    select (i.served_at at time zone 'UTC')::date as day, i.campaign_id, i.channel_id,
           1 as impressions, 0 as clicks, 0 as conversions, i.cost as spend,
           0::numeric as revenue
    from impressions i
    union all
    select (i.served_at at time zone 'UTC')::date, i.campaign_id, i.channel_id,
           0, 1, 0, k.cost, 0
    from clicks k join impressions i on i.id = k.impression_id
    union all
    select (v.converted_at at time zone 'UTC')::date, i.campaign_id, i.channel_id,
           0, 0, 1, 0, v.revenue
    from conversions v
    join clicks k on k.id = v.click_id
    join impressions i on i.id = k.impression_id
    where v.converted_at <= k.clicked_at + make_interval(days => %(window)s)
),
daily as (
    select day, campaign_id, channel_id,
           sum(impressions) as impressions, sum(clicks) as clicks,
           sum(conversions) as conversions, sum(spend) as spend, sum(revenue) as revenue
    from events group by day, campaign_id, channel_id
),
campaign_ids as (select id as campaign_id from campaigns),
advertiser_ids as (select id as advertiser_id from advertisers),
channel_ids as (select id as channel_id from channels)
"""


def ratio(numerator: str, denominator: str) -> str:
    return f"case when {denominator} = 0 then null else ({numerator})::float8 / {denominator} end"


def pg_sums(
    settings: Any,
    *,
    campaign_id: int | None = None,
    advertiser_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    platform: str | None = None,
    grain: str | None = None,
    by_platform: bool = False,
) -> list[dict[str, Any]]:
    keys = []
    if grain:
        keys.append(f"date_trunc('{grain}', d.day)::date as period")
    if by_platform:
        keys.append("ch.name as platform")
    select = ", ".join(
        [
            *keys,
            "sum(d.impressions) as impressions, sum(d.clicks) as clicks",
            "sum(d.conversions) as conversions, sum(d.spend) as spend",
            "sum(d.revenue) as revenue",
        ]
    )
    group = f"group by {', '.join(str(i + 1) for i in range(len(keys)))} order by 1" if keys else ""
    rows = postgres_rows(
        settings,
        f"""with {PG_EVENTS}
        select {select}
        from daily d
        join campaigns c on c.id = d.campaign_id
        join channels ch on ch.id = d.channel_id
        where (%(campaign)s::bigint is null or d.campaign_id = %(campaign)s)
          and (%(advertiser)s::bigint is null or c.advertiser_id = %(advertiser)s)
          and (%(start)s::date is null or d.day >= %(start)s)
          and (%(end)s::date is null or d.day <= %(end)s)
          and (%(platform)s::text is null or lower(ch.name) = lower(%(platform)s))
        {group}""",
        {
            "window": WINDOW,
            "campaign": campaign_id,
            "advertiser": advertiser_id,
            "start": start,
            "end": end,
            "platform": platform,
        },
    )
    names = [k.split(" as ")[-1] for k in keys] + [
        "impressions",
        "clicks",
        "conversions",
        "spend",
        "revenue",
    ]
    return [with_ratios(dict(zip(names, row, strict=True))) for row in rows]


def with_ratios(row: dict[str, Any]) -> dict[str, Any]:
    def divide(a: Any, b: Any, scale: int = 1) -> float | None:
        a, b = Decimal(a or 0), Decimal(b or 0)
        return None if b == 0 else float(a * scale) / float(b)

    return row | {
        "impressions": int(row["impressions"] or 0),
        "clicks": int(row["clicks"] or 0),
        "conversions": int(row["conversions"] or 0),
        "spend": Decimal(row["spend"] or 0),
        "revenue": Decimal(row["revenue"] or 0),
        "ctr": divide(row["clicks"], row["impressions"]),
        "cvr": divide(row["conversions"], row["clicks"]),
        "cpc": divide(row["spend"], row["clicks"]),
        "cpm": divide(row["spend"], row["impressions"], 1000),
        "cpa": divide(row["spend"], row["conversions"]),
        "roas": divide(row["revenue"], row["spend"]),
    }


def assert_same(got: dict[str, Any], want: dict[str, Any], metrics: Any = INSIGHTS) -> None:
    for metric in metrics:
        a, b = got[metric], want[metric]
        if b is None or a is None:
            assert a is None and b is None, (metric, a, b)
        elif metric in {"spend", "revenue"}:
            assert abs(Decimal(str(a)) - Decimal(b)) < Decimal("0.005"), (metric, a, b)
        elif metric in RATIOS:
            assert math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12), (metric, a, b)
        else:
            assert a == b, (metric, a, b)
