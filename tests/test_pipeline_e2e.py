"""End to end on real engines: PostgreSQL -> dlt -> chDB -> dbt, checked against PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest

from campaign_analytics.settings import Settings
from seed_generator import generate_batch
from seed_generator.migrations import apply_migrations
from tests.pipeline import clickhouse_rows, dbt, load, postgres_rows

pytestmark = pytest.mark.e2e

TABLES = [
    "advertisers",
    "channels",
    "campaigns",
    "campaign_channels",
    "audiences",
    "impressions",
    "clicks",
    "conversions",
]


@pytest.fixture
def seeded(settings: Settings) -> Settings:
    assert settings.postgres_dsn
    with psycopg.connect(settings.postgres_dsn) as conn:
        apply_migrations(conn)
        generate_batch(
            conn,
            advertisers=3,
            campaigns=6,
            impressions=5_000,
            ctr=0.04,
            cvr=0.1,
            days=14,
            seed=7,
        )
        conn.commit()
    return settings


def raw_count(settings: Settings, table: str) -> int:
    sql = f"select count() from {settings.raw_database}.ad_platform__{table}"
    return clickhouse_rows(settings, sql)[0][0]


def source_count(settings: Settings, table: str) -> int:
    # soft-deleted entities are replicated too (flagged in staging)
    return postgres_rows(settings, f"select count(*) from {table}")[0][0]


def loaded_tables(pipeline) -> set[str]:
    if pipeline.last_trace.last_normalize_info is None:
        return set()
    counts = pipeline.last_trace.last_normalize_info.row_counts
    return {table for table, rows in counts.items() if rows and not table.startswith("_dlt")}


def test_replicates_updates_and_builds_kpis_equal_to_postgres(seeded: Settings) -> None:
    settings = seeded
    packages = load(settings).list_completed_load_packages()

    # (a) every raw table holds exactly the live source rows
    for table in TABLES:
        assert raw_count(settings, table) == source_count(settings, table) > 0, table

    # a re-run with nothing new in the source extracts nothing and makes no load package
    rerun = load(settings)
    assert loaded_tables(rerun) == set()
    assert rerun.last_trace.last_load_info.loads_ids == []
    assert rerun.list_completed_load_packages() == packages

    # (b) updates in PostgreSQL arrive as new values, merged on the key (no duplicates);
    # a column added upstream arrives with its data and breaks no model (dbt build below)
    with psycopg.connect(settings.postgres_dsn) as conn:
        conn.execute("update campaigns set name = name || ' (renamed)' where id % 2 = 0")
        conn.execute("update impressions set cost = cost + 1 where id <= 10")
        conn.execute("alter table campaigns add column landing_page_url text")
        conn.execute("update campaigns set landing_page_url = 'https://example.com/' || id")
    assert loaded_tables(load(settings)) == {"campaigns", "impressions"}
    assert clickhouse_rows(
        settings,
        f"select id, landing_page_url from {settings.raw_database}.ad_platform__campaigns "
        "order by id",
    ) == postgres_rows(
        settings,
        "select id, landing_page_url from campaigns order by id",
    )
    renamed = clickhouse_rows(
        settings,
        f"select id, name from {settings.raw_database}.ad_platform__campaigns "
        "where endsWith(name, ' (renamed)') order by id",
    )
    assert renamed == postgres_rows(
        settings, "select id, name from campaigns where name like '% (renamed)' order by id"
    )
    assert renamed, "no campaign was renamed"
    # events keep each version until ClickHouse merges; what dbt reads (FINAL) has one per id
    for table, final in (("campaigns", ""), ("impressions", " final")):
        duplicates = clickhouse_rows(
            settings,
            f"select count() - uniqExact(id) from {settings.raw_database}.ad_platform__{table}"
            f"{final}",
        )
        assert duplicates == [(0,)], table
    cost_sum = clickhouse_rows(
        settings, f"select sum(cost) from {settings.raw_database}.ad_platform__impressions final"
    )[0][0]
    assert cost_sum == postgres_rows(settings, "select sum(cost) from impressions")[0][0]

    # (c) the mart's CTR per campaign equals the same KPI computed on PostgreSQL
    dbt(settings, "build")
    mart = clickhouse_rows(
        settings,
        f"select campaign_id, impressions, clicks, ctr "
        f"from {settings.analytics_database}.rpt_campaign_ctr order by campaign_id",
    )
    expected = postgres_rows(
        settings,
        """
        select c.id, count(distinct i.id), count(k.id),
               count(k.id)::float8 / nullif(count(distinct i.id), 0)
        from campaigns c
        left join impressions i on i.campaign_id = c.id
        left join clicks k on k.impression_id = i.id
        where c.deleted_at is null
        group by c.id order by c.id
        """,
    )
    assert [row[:3] for row in mart] == [row[:3] for row in expected]
    for (_, _, _, mart_ctr), (_, _, _, source_ctr) in zip(mart, expected, strict=True):
        # no impressions: CTR is NULL on both sides, not 0
        assert mart_ctr == (None if source_ctr is None else pytest.approx(source_ctr, rel=1e-12))
