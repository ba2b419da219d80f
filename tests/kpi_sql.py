"""KPIs computed in plain SQL on PostgreSQL: the truth every path is compared with.

The SQL follows the marts' documentation, not their code: clicks count on their impression's
day, conversions on their own day and only inside the attribution window (parameter
``window``, days); every ratio is a ratio of sums, NULL on a zero denominator.
"""

from __future__ import annotations

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
