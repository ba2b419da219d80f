"""Our promise that nothing is lost: PostgreSQL and ClickHouse raw compared table by table.

* :func:`compare` — row count, the sum of every money column, NULLs per key column and the
  max cursor, on both sides. The money columns are the raw table's Decimal columns, i.e. what
  was money when dlt first loaded the table (not the source's current types), so a column
  whose type changes upstream stays compared and shows the difference. Exact when the
  source is quiet; while it is being written the newest rows may not have been loaded yet.
* :func:`diagnose` — when a table differs, what the check saw (fewer rows, rows written after
  the load read, rows stamped in the future, a money column that changed type) and the one
  command that repairs it.
* :func:`remove_hard_deletes` — rows physically deleted in PostgreSQL have no ``updated_at`` to
  be noticed by; this finds them by primary key and deletes them in ClickHouse. It first
  compares (count, sum of ids) per id bucket on both sides and lists ids only in the buckets
  that differ, so a check with nothing to delete reads one aggregate per bucket.

Soft-deleted rows (``deleted_at`` set) are ordinary rows here: they are replicated, flagged in
staging, and keep counting for the history they own.
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
SHOWN_IDS = 10
FULL_REFRESH = "`make load FULL_REFRESH=1` (campaign-analytics load --full-refresh)"


@dataclass(frozen=True)
class TableSpec:
    name: str
    is_event: bool  # ReplacingMergeTree in ClickHouse: read with FINAL


@dataclass(frozen=True)
class TableCheck:
    table: str
    postgres: tuple[Any, ...]
    clickhouse: tuple[Any, ...]
    measures: tuple[str, ...]
    # money columns dlt loaded as decimals, with their current PostgreSQL type (None: gone)
    money_types: tuple[tuple[str, str | None], ...] = ()

    @property
    def ok(self) -> bool:
        values_equal = all(same(a, b) for a, b in zip(self.postgres, self.clickhouse, strict=True))
        return values_equal and all(t == "numeric" for _, t in self.money_types)

    def value(self, measure: str) -> tuple[Any, Any]:
        i = self.measures.index(measure)
        return self.postgres[i], self.clickhouse[i]


def same(a: Any, b: Any) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a.replace(tzinfo=None) == b.replace(tzinfo=None)
    if isinstance(a, Decimal | int | float) or isinstance(b, Decimal | int | float):
        # PostgreSQL sums no rows to NULL, ClickHouse to 0
        return Decimal(str(a or 0)) == Decimal(str(b or 0))
    return a == b


def table_specs(dimension_tables: Iterable[str], event_tables: Iterable[str]) -> list[TableSpec]:
    return [TableSpec(t, False) for t in dimension_tables] + [
        TableSpec(t, True) for t in event_tables
    ]


def _source_types(conn: psycopg.Connection, table: str) -> dict[str, str]:
    rows = conn.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = current_schema() and table_name = %s order by ordinal_position",
        (table,),
    ).fetchall()
    return dict(rows)


def _raw_column_types(client: Any, table: str) -> dict[str, str]:
    """ClickHouse types of a raw table's columns ({} before its first load).

    These are the types dlt created the columns with: it adds columns later but never
    changes a column's type, even when its own schema follows a type change upstream.
    """
    database, name = client.make_qualified_table_name_path(table, quote=False)
    return dict(
        client.execute_sql(
            "SELECT name, type FROM system.columns WHERE database = %s AND table = %s",
            database,
            name,
        )
    )


def _clickhouse_source(client: Any, spec: TableSpec) -> str:
    return client.make_qualified_table_name(spec.name) + (" FINAL" if spec.is_event else "")


def _is_key(column: str) -> bool:
    return column == "id" or column.endswith("_id")


def compare(
    pipeline: dlt.Pipeline, conn: psycopg.Connection, specs: Sequence[TableSpec], cursor: str
) -> list[TableCheck]:
    checks = []
    with pipeline.sql_client() as client:
        for spec in specs:
            source_types = _source_types(conn, spec.name)
            loaded = _raw_column_types(client, spec.name)
            if loaded:
                money = [
                    c
                    for c, t in loaded.items()
                    if t.removeprefix("Nullable(").startswith("Decimal")
                ]
            else:  # before the first load: what will be loaded as decimals
                money = [c for c, t in source_types.items() if t == "numeric"]
            keys = [c for c in source_types if _is_key(c)]
            measures = (
                "rows",
                *(f"sum({c})" for c in money),
                *(f"nulls({c})" for c in keys),
                f"max({cursor})",
            )
            # a money column gone from the source sums to NULL there: a visible mismatch
            pg_money = [
                sql.SQL("sum({}::numeric)").format(sql.Identifier(c))
                if c in source_types
                else sql.SQL("null")
                for c in money
            ]
            pg_keys = [sql.SQL("count(*) - count({})").format(sql.Identifier(c)) for c in keys]
            pg_row = conn.execute(
                sql.SQL("select {} from {}").format(
                    sql.SQL(", ").join(
                        [
                            sql.SQL("count(*)"),
                            *pg_money,
                            *pg_keys,
                            sql.SQL("max({})").format(sql.Identifier(cursor)),
                        ]
                    ),
                    sql.Identifier(spec.name),
                )
            ).fetchone()
            escape = client.escape_column_name
            ch_columns = [
                "count()",
                *(f"sum({escape(c)})" for c in money),
                # a column dlt has not created yet holds no NULLs
                *(f"countIf({escape(c)} IS NULL)" if c in loaded else "0" for c in keys),
                f"maxOrNull({escape(cursor)})",
            ]
            try:
                ch_row = client.execute_sql(
                    f"SELECT {', '.join(ch_columns)} FROM {_clickhouse_source(client, spec)}"
                )[0]
            except DatabaseUndefinedRelation:
                # dlt creates a table with its first row: an empty source table has none yet
                ch_row = (0, *(None for _ in money), *(0 for _ in keys), None)
            checks.append(
                TableCheck(
                    spec.name,
                    tuple(pg_row),
                    tuple(ch_row),
                    measures,
                    tuple((c, source_types.get(c)) for c in money),
                )
            )
    return checks


def _ids(conn: psycopg.Connection, table: str, condition: sql.Composable) -> list[int]:
    query = sql.SQL("select id from {} where {} order by id limit {}").format(
        sql.Identifier(table), condition, sql.Literal(SHOWN_IDS + 1)
    )
    return [row[0] for row in conn.execute(query)]


def _listed(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:SHOWN_IDS])
    return shown + (", ..." if len(ids) > SHOWN_IDS else "")


def diagnose(conn: psycopg.Connection, check: TableCheck, cursor: str) -> str:
    """What differs in ``check``'s table, and the command that repairs it (one clause)."""
    table = check.table
    changed_money = [(c, t) for c, t in check.money_types if t != "numeric"]
    if changed_money:
        column, now = changed_money[0]
        what = "no longer exists" if now is None else f"is now {now}"
        return (
            f"{table}.{column} was a numeric money column when first loaded and {what} in "
            f"PostgreSQL; restore it upstream, or rebuild the raw tables with {FULL_REFRESH} "
            "and the marts with `campaign-analytics dbt build --full-refresh`"
        )
    column = sql.Identifier(cursor)
    future = _ids(conn, table, sql.SQL("{} > clock_timestamp()").format(column))
    if future:
        return (
            f"{table} has rows with {cursor} in the future (ids {_listed(future)}): a load reads "
            f"only rows committed before it starts, so they wait for that time; fix {cursor} in "
            f"PostgreSQL (e.g. `update {table} set {cursor} = now() where id in (...)`), then "
            "run `make load` again"
        )
    for measure in check.measures:
        if measure.startswith("nulls(") and not same(*check.value(measure)):
            return (
                f"{table} has {check.value(measure)[0]} rows with {measure[6:-1]} NULL in "
                f"PostgreSQL and {check.value(measure)[1]} in ClickHouse; rebuild the raw "
                f"tables with {FULL_REFRESH}"
            )
    pg_rows, ch_rows = check.value("rows")
    _, ch_cursor = check.value(f"max({cursor})")
    if ch_cursor is not None:
        newer = [
            row[0]
            for row in conn.execute(
                sql.SQL("select id from {} where {} > %s limit 1").format(
                    sql.Identifier(table), column
                ),
                (ch_cursor,),
            )
        ]
        if newer:
            return (
                f"{table} was written in PostgreSQL after this load read it; run `make load` "
                "again, or pass `--warn-only` while the source is being written"
            )
    if ch_rows < pg_rows:
        return (
            f"{table} has {pg_rows - ch_rows:,} fewer rows in ClickHouse; rebuild the raw "
            f"tables with {FULL_REFRESH}"
        )
    return f"{table} holds other values in ClickHouse; rebuild the raw tables with {FULL_REFRESH}"


def _bucket_digests(rows: Iterable[Sequence[Any]]) -> dict[int, tuple[int, int]]:
    return {int(b): (int(n), int(s)) for b, n, s in rows}


def remove_hard_deletes(
    pipeline: dlt.Pipeline, conn: psycopg.Connection, specs: Sequence[TableSpec]
) -> dict[str, list[int]]:
    """Delete from ClickHouse the rows whose id no longer exists in PostgreSQL; their ids.

    The ids let an incremental build find what a delete changed without comparing every
    row: a deleted row leaves nothing behind to read."""
    removed: dict[str, list[int]] = {}
    with pipeline.sql_client() as client:
        for spec in specs:
            table = sql.Identifier(spec.name)
            pg = _bucket_digests(
                conn.execute(
                    sql.SQL("select id / {b}, count(*), sum(id) from {t} group by 1").format(
                        b=sql.Literal(ID_BUCKET), t=table
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
                        sql.SQL("select id from {t} where id >= %s and id < %s").format(t=table),
                        (low, high),
                    )
                }
                ch_ids = client.execute_sql(
                    f"SELECT id FROM {source} WHERE id >= {low} AND id < {high}"
                )
                stale.extend(r[0] for r in ch_ids if r[0] not in pg_ids)
            qualified = client.make_qualified_table_name(spec.name)
            for start in range(0, len(stale), DELETE_BATCH):
                ids = ", ".join(str(int(i)) for i in stale[start : start + DELETE_BATCH])
                client.execute_sql(f"DELETE FROM {qualified} WHERE id IN ({ids})")
            removed[spec.name] = stale
    return removed
