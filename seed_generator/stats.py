"""``stats``: what is in the source database, for eyeballing a generated data set."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import psycopg
from psycopg import sql

from seed_generator.storage import TABLES

_ENTITIES = ("advertisers", "channels", "campaigns", "campaign_channels", "audiences")
_EVENT_TIMES = {"impressions": "served_at", "clicks": "clicked_at", "conversions": "converted_at"}


@dataclass(frozen=True)
class TableCount:
    table: str
    rows: int
    deleted: int | None  # soft-deleted rows; None for event tables (no deleted_at)


@dataclass(frozen=True)
class EventRange:
    table: str
    first: dt.datetime | None
    last: dt.datetime | None


@dataclass(frozen=True)
class Funnel:
    channel: str  # "all" for the overall row
    impressions: int
    reach: int
    clicks: int
    conversions: int
    spend: Decimal
    revenue: Decimal

    @property
    def ctr(self) -> float | None:
        return self.clicks / self.impressions if self.impressions else None

    @property
    def cvr(self) -> float | None:
        return self.conversions / self.clicks if self.clicks else None


@dataclass(frozen=True)
class Stats:
    tables: list[TableCount]
    ranges: list[EventRange]
    funnels: list[Funnel]  # overall first, then by channel, biggest first


def table_stats(conn: psycopg.Connection) -> Stats:
    """Row counts, event time ranges, and CTR/CVR overall and per channel."""
    tables = []
    for table in TABLES:
        deleted = (
            sql.SQL("count(*) filter (where deleted_at is not null)")
            if table in _ENTITIES
            else sql.SQL("null::bigint")
        )
        row = conn.execute(
            sql.SQL("select count(*), {} from {}").format(deleted, sql.Identifier(table))
        ).fetchone()
        assert row is not None
        tables.append(TableCount(table, int(row[0]), None if row[1] is None else int(row[1])))
    ranges = []
    for table, column in _EVENT_TIMES.items():
        query = sql.SQL("select min({c}), max({c}) from {t}").format(
            c=sql.Identifier(column), t=sql.Identifier(table)
        )
        first, last = conn.execute(query).fetchone() or (None, None)
        ranges.append(EventRange(table, first, last))
    rows = conn.execute(
        """
        select coalesce(ch.name, 'all'), count(*), count(distinct i.user_id), count(c.id),
               count(v.id), coalesce(sum(i.cost), 0) + coalesce(sum(c.cost), 0),
               coalesce(sum(v.revenue), 0)
        from impressions i
        join channels ch on ch.id = i.channel_id
        left join clicks c on c.impression_id = i.id
        left join conversions v on v.click_id = c.id
        group by grouping sets ((), (ch.name))
        order by grouping(ch.name) desc, count(*) desc, 1
        """
    ).fetchall()
    funnels = [Funnel(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4]), r[5], r[6]) for r in rows]
    return Stats(tables, ranges, funnels)
