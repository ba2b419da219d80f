"""The ad platform's PostgreSQL tables as one dlt source."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import dlt
from dlt.destinations.adapters import clickhouse_adapter
from dlt.sources import DltResource
from dlt.sources.sql_database import sql_database

from dlt_pipelines.commit_horizon import Horizon, below_horizon


@dlt.source(name="ad_platform", max_table_nesting=0)
def ad_platform(
    credentials: str = dlt.secrets.value,
    schema: str = dlt.config.value,
    dimension_tables: Sequence[str] = dlt.config.value,
    event_tables: Sequence[str] = dlt.config.value,
    cursor_column: str = dlt.config.value,
    backend: str = dlt.config.value,
    chunk_size: int = dlt.config.value,
    backend_kwargs: Mapping[str, Any] | None = None,
    horizon: Horizon | None = None,
) -> Iterable[DltResource]:
    """Every source table, extracted incrementally on ``cursor_column``, keyed on ``id``.

    Entities are merged on ``id``; soft-deleted rows (``deleted_at`` set) are kept, so the
    history of an archived campaign keeps its name and advertiser (staging flags them
    ``is_deleted``). Only rows physically removed from PostgreSQL leave raw, through the
    reconciliation's primary-key check. Events are appended to ReplacingMergeTree tables that
    keep the newest version of each ``id``.

    Each run reads rows up to the commit horizon (see commit_horizon.py), so a row whose
    transaction commits late is read by the next run instead of being skipped. A caller that
    runs the source more than once passes its ``horizon`` and advances it before each run.
    """
    horizon = horizon or Horizon(credentials)
    source = sql_database(
        credentials=credentials,
        schema=schema,
        table_names=[*dimension_tables, *event_tables],
        backend=backend,  # type: ignore[arg-type]
        chunk_size=chunk_size,
        backend_kwargs=dict(backend_kwargs or {}),
        # numeric(14,2) stays Decimal(14,2) in ClickHouse, not a float
        reflection_level="full_with_precision",
        query_adapter_callback=below_horizon(horizon, cursor_column),
    )
    for name, resource in source.resources.items():
        resource.add_filter(_skip_empty_batches_once_loaded(name, cursor_column))
        resource.apply_hints(
            primary_key="id",
            # Open start (updated_at > last value): every row at the last value was committed
            # and read already, thanks to the horizon, so dlt keeps no boundary-row hashes.
            incremental=dlt.sources.incremental(cursor_column, row_order="asc", range_start="open"),
        )
        if name in dimension_tables:
            resource.apply_hints(write_disposition="merge")
        else:
            # Events are many and rarely change: append into a ReplacingMergeTree keyed on id,
            # newest updated_at wins, read with FINAL in staging. dlt's merge would instead
            # DELETE from the whole table on every load (cost grows with the table).
            resource.apply_hints(
                write_disposition="append",
                columns={cursor_column: {"dedup_sort": "desc"}},
            )
            clickhouse_adapter(resource, table_engine_type="replacing_merge_tree")
    return list(source.resources.values())


def _skip_empty_batches_once_loaded(resource_name: str, cursor_column: str) -> Any:
    """Filter that drops the empty Arrow batch a query with no new rows yields.

    An empty batch still makes a load file, and for an entity a merge job, so a run with no
    change would load a package of nothing. It is kept on a table's first load only (no
    cursor value yet), where it creates the raw table of an empty source table.
    """

    def keep(item: Any) -> bool:
        if getattr(item, "num_rows", 1) > 0:
            return True
        cursor = dlt.current.resource_state(resource_name).get("incremental", {})
        return cursor.get(cursor_column, {}).get("last_value") is None

    return keep
