"""The metric catalog for the parse-only tests: dbt's manifest from `dbt parse` (no engine)."""

from __future__ import annotations

import pytest

from campaign_analytics.metrics.catalog import Catalog
from campaign_analytics.settings import load_settings
from tests.pipeline import dbt


@pytest.fixture(scope="session")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    data_dir = tmp_path_factory.mktemp("ask_dbt_parse")
    settings = load_settings(
        {
            "CA_DATA_DIR": str(data_dir),
            "CHDB_PATH": str(data_dir / "chdb"),
            "DBT_TARGET_PATH": str(data_dir / "dbt_target"),
        }
    )
    dbt(settings, "parse")
    return Catalog.load(settings.dbt_target_path / "manifest.json")
