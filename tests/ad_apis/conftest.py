"""Fixtures for the ad-platform API tests: the local fakes and small pages.

The loader's dlt configuration is set the way a user would set it, through dlt's
environment variables: pages and date windows small enough that every platform needs at
least three requests per account for ten days of data, a three-day attribution window, and
dlt's exponential backoff at 0.05 s instead of 1 s (five attempts in under a second; a 429
still waits for its Retry-After).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import chdb_engine
import pytest

from campaign_analytics.settings import Settings, load_settings
from tests.fake_ad_apis import FakeAdApis

END = dt.date(2026, 12, 1)
FIRST = END - dt.timedelta(days=9)
EMPTY_DAY = FIRST + dt.timedelta(days=4)
LAG_DAYS = 3
GOOGLE_PAGE_SIZE = 25

DLT_CONFIG = {
    "RUNTIME__REQUEST_BACKOFF_FACTOR": "0.05",
    "SOURCES__META_ADS__PAGE_SIZE": "20",
    "SOURCES__TIKTOK_ADS__PAGE_SIZE": "20",
    "SOURCES__LINKEDIN_ADS__DAYS_PER_REQUEST": "4",
    **{
        f"SOURCES__{platform}__{name}": value
        for platform in ("META_ADS", "GOOGLE_ADS", "TIKTOK_ADS", "LINKEDIN_ADS")
        for name, value in (("INITIAL_LOOKBACK_DAYS", "10"), ("ATTRIBUTION_WINDOW_DAYS", "3"))
    },
}


@pytest.fixture(scope="module")
def dlt_config() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in DLT_CONFIG.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="module")
def warm_engine(session_dir: Path) -> Iterator[None]:
    """One connection held for the module, so each load does not restart the chDB engine."""
    connection = chdb_engine.connect(session_dir / "chdb", "ad_apis_tests")
    yield
    connection.close()


@pytest.fixture(scope="module")
def fake_apis(dlt_config: None, warm_engine: None) -> Iterator[FakeAdApis]:
    with FakeAdApis(
        first_day=FIRST, last_day=END, empty_days=[EMPTY_DAY], google_page_size=GOOGLE_PAGE_SIZE
    ) as fake:
        yield fake
        assert not fake.errors, f"the fake itself failed: {fake.errors}"


def platform_settings(
    session_dir: Path, fake: FakeAdApis, postgres_dsn: str | None = None, **env: str
) -> Settings:
    """Settings on the session's chDB directory, with databases of their own."""
    suffix = uuid.uuid4().hex[:8]
    values = {
        "CA_DATA_DIR": str(session_dir / f"ad_apis_{suffix}"),
        "DBT_TARGET_PATH": str(session_dir / f"ad_apis_{suffix}" / "dbt_target"),
        "CHDB_PATH": str(session_dir / "chdb"),
        "CLICKHOUSE_RAW_DATABASE": f"raw_{suffix}",
        "CLICKHOUSE_DATABASE": f"analytics_{suffix}",
        **fake.env(),
        **env,
    }
    if postgres_dsn:
        values["POSTGRES_DSN"] = postgres_dsn
    return load_settings(values)
