"""Replicate the ad platform's PostgreSQL into ClickHouse's raw database with dlt."""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from dataclasses import dataclass

from campaign_analytics.settings import DLT_PROJECT_DIR, Settings

# dlt reads .dlt/config.toml from its project dir, which is dlt_pipelines/ wherever we run from.
os.environ.setdefault("DLT_PROJECT_DIR", str(DLT_PROJECT_DIR))

import dlt
from dlt.common.destination import Destination

from dlt_pipelines.ad_platform import ad_platform

PIPELINE_NAME = "ad_platform_to_clickhouse"


class _KnownNotices(logging.Filter):
    """Two dlt warnings that are wrong for this pipeline, dropped so real ones stand out:

    * `dedup_sort` "ignored" for append: dlt does use it, as the version column of the
      ReplacingMergeTree it creates for events;
    * arrow and dlt schema hints "different": connectorx marks every Arrow field nullable,
      and dlt rightly keeps the NOT NULL reflected from PostgreSQL (log level INFO shows it).
    """

    MESSAGES = ("dedup_sort", "when merging arrow schema with dlt schema")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(known in message for known in self.MESSAGES)


logging.getLogger("dlt").addFilter(_KnownNotices())


def destination(settings: Settings) -> Destination:
    """chDB in-process for the embedded target, dlt's stock ClickHouse for a server."""
    if settings.target == "embedded":
        from dlt_pipelines.chdb_destination import ChdbCredentials, chdb

        credentials = ChdbCredentials()
        credentials.path = str(settings.chdb_path)
        credentials.database = settings.raw_database
        return chdb(credentials=credentials)
    server = settings.clickhouse
    return dlt.destinations.clickhouse(
        credentials={
            "host": server.host,
            "port": server.port,
            "http_port": server.http_port,
            "username": server.user,
            "password": server.password,
            "database": settings.raw_database,
            "secure": int(server.secure),
        }
    )


def pipeline(settings: Settings) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=PIPELINE_NAME,
        pipelines_dir=str(settings.dlt_pipelines_dir),
        destination=destination(settings),
        dataset_name=settings.source_name,
        progress="log",
    )


@dataclass(frozen=True)
class TableLoad:
    table: str
    extracted: int
    loaded: int


def table_summary(p: dlt.Pipeline) -> list[TableLoad]:
    """Rows extracted and normalized per source table that moved, from ``last_trace``."""
    trace = p.last_trace
    extracted: dict[str, int] = defaultdict(int)
    loaded: dict[str, int] = defaultdict(int)
    if trace.last_extract_info:
        for metrics in trace.last_extract_info.metrics.values():
            for step in metrics:
                for table, table_metrics in step["table_metrics"].items():
                    extracted[table] += table_metrics.items_count
    if trace.last_normalize_info:
        for table, count in trace.last_normalize_info.row_counts.items():
            loaded[table] += count
    tables = sorted(
        t for t in {*extracted, *loaded} if not t.startswith("_dlt") and (extracted[t] or loaded[t])
    )
    return [TableLoad(t, extracted[t], loaded[t]) for t in tables]


def step_seconds(p: dlt.Pipeline) -> dict[str, float]:
    """Wall time of dlt's extract, normalize and load steps in the last run."""
    return {
        step.step: (step.finished_at - step.started_at).total_seconds()
        for step in p.last_trace.steps
        if step.step in {"extract", "normalize", "load"}
    }


def run(settings: Settings, *, full_refresh: bool = False, dsn: str) -> dlt.Pipeline:
    """Extract, normalize and load every source table; returns the pipeline for its trace.

    A load package left behind by an interrupted run is finished first (dlt does that on
    ``run``), so nothing is loaded twice.
    """
    p = pipeline(settings)
    source = ad_platform(credentials=dsn)
    p.run(source, refresh="drop_sources" if full_refresh else None)
    return p
