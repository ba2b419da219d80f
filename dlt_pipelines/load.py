"""Replicate the ad platform's PostgreSQL into ClickHouse's raw database with dlt."""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from campaign_analytics.settings import DLT_PROJECT_DIR, Settings

# dlt reads .dlt/config.toml from its project dir, which is dlt_pipelines/ wherever we run from.
os.environ.setdefault("DLT_PROJECT_DIR", str(DLT_PROJECT_DIR))

import dlt
from dlt.common.destination import Destination
from dlt.pipeline.configuration import PipelineConfiguration

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
        credentials.lock_wait_seconds = settings.lock_wait_seconds
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


def _drop_stray_pipeline_settings() -> None:
    """Forget environment variables that dlt would read as this pipeline's settings.

    dlt resolves every field of its pipeline configuration from a bare variable of the same
    name, so ``FULL_REFRESH=1`` (which ``make load FULL_REFRESH=1`` exports to the recipe)
    switches on the deprecated ``full_refresh``, i.e. dev mode: a new dataset with a
    timestamp suffix instead of a rebuild of the raw tables. Those names are too generic to
    be meant for dlt; the pipeline's settings come from this module only (sectioned variables
    such as ``NORMALIZE__WORKERS`` still work).
    """
    for name in PipelineConfiguration.__dataclass_fields__:
        os.environ.pop(name.upper(), None)


def source_tables() -> tuple[list[str], list[str]]:
    """The replicated (entity, event) tables, as `.dlt/config.toml` lists them."""
    return (
        list(dlt.config["sources.ad_platform.dimension_tables"]),
        list(dlt.config["sources.ad_platform.event_tables"]),
    )


def working_dir(settings: Settings) -> Path:
    """dlt's local state of the pipeline: load packages, state.json, schemas."""
    return settings.dlt_pipelines_dir / PIPELINE_NAME


def pipeline(settings: Settings) -> dlt.Pipeline:
    _drop_stray_pipeline_settings()
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


def cursors(p: dlt.Pipeline, tables: list[str]) -> dict[str, Any]:
    """The cursor's last value per source table in dlt's committed state (None: never
    loaded): every row up to it is in raw, and the next run reads only rows past it."""
    column = str(dlt.config["sources.ad_platform.cursor_column"])
    resources = p.state.get("sources", {}).get("ad_platform", {}).get("resources", {})
    return {
        table: resources.get(table, {}).get("incremental", {}).get(column, {}).get("last_value")
        for table in tables
    }


def step_seconds(p: dlt.Pipeline) -> dict[str, float]:
    """Wall time of dlt's extract, normalize and load steps in the last run."""
    return {
        step.step: (step.finished_at - step.started_at).total_seconds()
        for step in p.last_trace.steps
        if step.step in {"extract", "normalize", "load"}
    }


@dataclass
class LoadRun:
    """A pipeline after a run, and the packages an interrupted run had left to finish."""

    pipeline: dlt.Pipeline
    completed_pending: list[str] = field(default_factory=list)  # load ids
    pending_tables: list[str] = field(default_factory=list)


def _package_tables(p: dlt.Pipeline, load_ids: list[str]) -> list[str]:
    tables = set()
    for load_id in load_ids:
        for jobs in p.get_load_package_info(load_id).jobs.values():
            tables.update(job.job_file_info.table_name for job in jobs)
    return sorted(t for t in tables if not t.startswith("_dlt"))


def finish_pending(p: dlt.Pipeline) -> tuple[list[str], list[str]]:
    """Load the packages an interrupted run left (extracted or normalized, not loaded).

    Returns their load ids and source tables. Packages are keyed by load id and events by
    id, so nothing is loaded twice."""
    if not p.has_pending_data:
        return [], []
    pending = [*p.list_extracted_load_packages(), *p.list_normalized_load_packages()]
    # read before loading: a loaded package keeps no job files (delete_completed_jobs)
    tables = _package_tables(p, pending)
    p.run()
    return pending, tables


def run(
    settings: Settings,
    *,
    full_refresh: bool = False,
    dsn: str,
    p: dlt.Pipeline | None = None,
) -> LoadRun:
    """Finish what an interrupted run left, then extract, normalize and load every table.

    dlt's ``run`` with a pending package (extracted or normalized, not loaded) loads only that
    package and returns without extracting, so a rerun after a crash would otherwise report
    nothing new and leave the source's newer rows for the run after.
    """
    p = p or pipeline(settings)
    result = LoadRun(p)
    result.completed_pending, result.pending_tables = finish_pending(p)
    p.run(ad_platform(credentials=dsn), refresh="drop_sources" if full_refresh else None)
    return result
