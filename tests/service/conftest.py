"""A built warehouse and the insights API serving it over real HTTP (uvicorn on a free port)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from campaign_analytics.service import auth
from campaign_analytics.service.in_thread import LiveApi, serving
from campaign_analytics.settings import Settings, load_settings
from seed_generator import generate_batch
from seed_generator.migrations import apply_migrations
from tests.pipeline import dbt, load

TODAY = dt.date(2026, 11, 20)
JWT_SECRET = "test-secret-of-this-suite-only-0123456789"
JWT_ISSUER = "https://auth.example.test"


def service_settings(base: Settings, **env: str) -> Settings:
    """``base`` with the service configured by ``env`` (CA_* variables)."""
    values = {
        "CA_DATA_DIR": str(base.data_dir),
        "DBT_TARGET_PATH": str(base.dbt_target_path),
        "POSTGRES_DSN": base.postgres_dsn or "",
        "CHDB_PATH": str(base.chdb_path),
        "CLICKHOUSE_RAW_DATABASE": base.raw_database,
        "CLICKHOUSE_DATABASE": base.analytics_database,
        "CA_API_KEY_CACHE_SECONDS": "0",
        "CA_JWT_SECRET": JWT_SECRET,
        "CA_JWT_ISSUER": JWT_ISSUER,
        "CA_VERSION_POLL_SECONDS": "0.2",
        "CA_REFRESH_EVERY_SECONDS": "3600",
        **env,
    }
    return load_settings(values)


@pytest.fixture(scope="module")
def warehouse(make_database, tmp_path_factory: pytest.TempPathFactory, session_dir) -> Settings:
    """Three advertisers' campaigns on several platforms, loaded, built and published."""
    data_dir = tmp_path_factory.mktemp("service")
    suffix = data_dir.name.replace("-", "_")[-12:]
    settings = load_settings(
        {
            "CA_DATA_DIR": str(data_dir),
            "DBT_TARGET_PATH": str(data_dir / "dbt_target"),
            "POSTGRES_DSN": make_database(),
            "CHDB_PATH": str(session_dir / "chdb"),
            "CLICKHOUSE_RAW_DATABASE": f"raw_{suffix}",
            "CLICKHOUSE_DATABASE": f"analytics_{suffix}",
        }
    )
    assert settings.postgres_dsn
    with psycopg.connect(settings.postgres_dsn) as conn:
        apply_migrations(conn)
        generate_batch(
            conn,
            advertisers=3,
            campaigns=9,
            impressions=30_000,
            ctr=0.04,
            cvr=0.1,
            days=40,
            seed=11,
            today=TODAY,
        )
        conn.commit()
    load(settings)
    dbt(settings, "build", "--exclude-resource-type", "unit_test")
    return settings


@pytest.fixture(scope="module")
def api(warehouse: Settings) -> Iterator[LiveApi]:
    with serving(service_settings(warehouse), refresh=True) as live:
        yield live


@pytest.fixture(scope="module")
def keys(warehouse: Settings) -> Callable[..., str]:
    """Factory: a new API key (viewer by default) for an advertiser."""

    def make(advertiser_id: int, role: auth.Role = "viewer", **options: Any) -> str:
        assert warehouse.postgres_dsn
        with psycopg.connect(warehouse.postgres_dsn) as conn:
            key, _ = auth.create_key(conn, advertiser_id=advertiser_id, role=role, **options)
        return key

    return make
