"""What the source must look like before dlt starts a load package.

Each check turns a situation that would otherwise end in a reflection traceback, or worse in
silently wrong rows, into one line naming the table and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence

import dlt
import psycopg

from campaign_analytics.errors import UserFacingError


class SourceTablesMissingError(UserFacingError):
    """Tables the pipeline replicates do not exist in PostgreSQL."""


class NullabilityChangedError(UserFacingError):
    """A column became nullable upstream while its raw column cannot hold NULL."""


def check_tables(conn: psycopg.Connection, schema: str, tables: Sequence[str]) -> None:
    present = {
        name
        for (name,) in conn.execute(
            "select table_name from information_schema.tables where table_schema = %s",
            (schema,),
        )
    }
    missing = [t for t in tables if t not in present]
    if not missing:
        return
    database = conn.info.dbname
    if len(missing) == len(tables):
        raise SourceTablesMissingError(
            f"PostgreSQL database {database} has none of the source tables in schema {schema}; "
            "run `make seed` first (it creates the schema and the demo data)"
        )
    raise SourceTablesMissingError(
        f"source table{'s' if len(missing) > 1 else ''} {', '.join(missing)} missing in "
        f"PostgreSQL database {database} (schema {schema}): restore "
        f"{'them' if len(missing) > 1 else 'it'} (on an empty database `make seed` creates "
        "every table), or remove the name from dimension_tables/event_tables in "
        "dlt_pipelines/.dlt/config.toml"
    )


def check_nullability(
    conn: psycopg.Connection, schema: str, pipeline: dlt.Pipeline, raw_database: str
) -> None:
    """Stop before a NULL would be loaded into a raw column that is not Nullable.

    dlt creates raw columns from the source's nullability when it first sees them and never
    relaxes them afterwards; ClickHouse then stores NULL as the type's default (0 for a key),
    and every total downstream would count a made-up id.
    """
    name = pipeline.default_schema_name
    if not name or name not in pipeline.schemas:
        return  # nothing loaded yet: the first load reflects the current nullability
    loaded = pipeline.schemas[name].tables
    changed = [
        f"{table}.{column}"
        for table, column in conn.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = %s and is_nullable = 'YES' order by table_name, column_name",
            (schema,),
        )
        if loaded.get(table, {}).get("columns", {}).get(column, {}).get("nullable") is False
    ]
    if changed:
        raise NullabilityChangedError(
            f"{', '.join(changed)} became nullable in PostgreSQL, but the raw column"
            f"{'s are' if len(changed) > 1 else ' is'} not Nullable in ClickHouse "
            f"({raw_database}), so a NULL would load as 0; restore NOT NULL upstream, or "
            "rebuild the raw tables with `make load FULL_REFRESH=1` (they are created Nullable "
            "then) followed by `campaign-analytics dbt build --full-refresh`"
        )
