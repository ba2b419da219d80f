"""Our promise that nothing is lost: PostgreSQL and ClickHouse raw compared table by table.

* :func:`compare` — live row count, the sum of every numeric (money) column and the max
  cursor, on both sides. Exact when the source is quiet; while it is being written the newest
  rows may not have been loaded yet (use ``--warn-only`` then).
* :func:`remove_hard_deletes` — rows physically deleted in PostgreSQL have no ``updated_at`` to
  be noticed by; this finds them by primary key and deletes them in ClickHouse. It first
  compares (count, sum of ids) per id bucket on both sides and lists ids only in the buckets
  that differ, so a check with nothing to delete reads one aggregate per bucket.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import dlt
import psycopg
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from psycopg import sql

ID_BUCKET = 100_000
DELETE_BATCH = 10_000


@dataclass(frozen=True)
class TableSpec:
    name: str
    is_event: bool  # ReplacingMergeTree in ClickHouse: read with FINAL
    soft_deletes: bool  # has deleted_at: only live rows are replicated


@dataclass(frozen=True)
class TableCheck:
    table: str
    postgres: tuple[Any, ...]
    clickhouse: tuple[Any, ...]
    measures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return all(same(a, b) for a, b in zip(self.postgres, self.clickhouse, strict=True))


def same(a: Any, b: Any) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a.replace(tzinfo=None) == b.replace(tzinfo=None)
    if isinstance(a, Decimal | int) or isinstance(b, Decimal | int):
        return Decimal(str(a or 0)) == Decimal(str(b or 0))
    return a == b


def table_specs(dimension_tables: Iterable[str], event_tables: Iterable[str]) -> list[TableSpec]:
    return [TableSpec(t, False, True) for t in dimension_tables] + [
        TableSpec(t, True, False) for t in event_tables
    ]


def money_columns(conn: psycopg.Connection, table: str) -> list[str]:
    rows = conn.execute(
        "select column_name from information_schema.columns "
        "where table_schema = current_schema() and table_name = %s and data_type = 'numeric' "
        "order by ordinal_position",
        (table,),
    ).fetchall()
    return [r[0] for r in rows]


def _clickhouse_source(client: Any, spec: TableSpec) -> str:
    return client.make_qualified_table_name(spec.name) + (" FINAL" if spec.is_event else "")


def compare(
    pipeline: dlt.Pipeline, conn: psycopg.Connection, specs: Sequence[TableSpec], cursor: str
) -> list[TableCheck]:
    checks = []
    with pipeline.sql_client() as client:
        for spec in specs:
            money = money_columns(conn, spec.name)
            measures = ("rows", *(f"sum({c})" for c in money), f"max({cursor})")
            pg_select = sql.SQL("select count(*), {}, max({}) from {} {}").format(
                sql.SQL(", ").join(sql.SQL("sum({})").format(sql.Identifier(c)) for c in money)
                if money
                else sql.SQL("null"),
                sql.Identifier(cursor),
                sql.Identifier(spec.name),
                sql.SQL("where deleted_at is null" if spec.soft_deletes else ""),
            )
            pg_row = conn.execute(pg_select).fetchone()
            if not money:
                pg_row = (pg_row[0], pg_row[2])
            ch_sums = "".join(f", sum({client.escape_column_name(c)})" for c in money)
            try:
                ch_row = client.execute_sql(
                    f"SELECT count(){ch_sums}, maxOrNull({client.escape_column_name(cursor)}) "
                    f"FROM {_clickhouse_source(client, spec)}"
                )[0]
            except DatabaseUndefinedRelation:
                # dlt creates a table with its first row: an empty source table has none yet
                ch_row = (0, *(None for _ in money), None)
            checks.append(TableCheck(spec.name, tuple(pg_row), tuple(ch_row), measures))
    return checks


def _bucket_digests(rows: Iterable[Sequence[Any]]) -> dict[int, tuple[int, int]]:
    return {int(b): (int(n), int(s)) for b, n, s in rows}


def remove_hard_deletes(
    pipeline: dlt.Pipeline, conn: psycopg.Connection, specs: Sequence[TableSpec]
) -> dict[str, int]:
    """Delete from ClickHouse the rows whose id no longer exists (live) in PostgreSQL."""
    removed: dict[str, int] = {}
    with pipeline.sql_client() as client:
        for spec in specs:
            live = sql.SQL("where deleted_at is null" if spec.soft_deletes else "")
            pg = _bucket_digests(
                conn.execute(
                    sql.SQL("select id / {b}, count(*), sum(id) from {t} {live} group by 1").format(
                        b=sql.Literal(ID_BUCKET), t=sql.Identifier(spec.name), live=live
                    )
                ).fetchall()
            )
            source = _clickhouse_source(client, spec)
            try:
                ch = _bucket_digests(
                    client.execute_sql(
                        f"SELECT intDiv(id, {ID_BUCKET}), count(), sum(id) FROM {source} GROUP BY 1"
                    )
                )
            except DatabaseUndefinedRelation:
                continue
            stale: list[int] = []
            for bucket in sorted(b for b in ch if ch[b] != pg.get(b)):
                low, high = bucket * ID_BUCKET, (bucket + 1) * ID_BUCKET
                pg_ids = {
                    r[0]
                    for r in conn.execute(
                        sql.SQL("select id from {t} where id >= %s and id < %s {live}").format(
                            t=sql.Identifier(spec.name),
                            live=sql.SQL("and deleted_at is null" if spec.soft_deletes else ""),
                        ),
                        (low, high),
                    )
                }
                ch_ids = client.execute_sql(
                    f"SELECT id FROM {source} WHERE id >= {low} AND id < {high}"
                )
                stale.extend(r[0] for r in ch_ids if r[0] not in pg_ids)
            table = client.make_qualified_table_name(spec.name)
            for start in range(0, len(stale), DELETE_BATCH):
                ids = ", ".join(str(int(i)) for i in stale[start : start + DELETE_BATCH])
                client.execute_sql(f"DELETE FROM {table} WHERE id IN ({ids})")
            removed[spec.name] = len(stale)
    return removed
