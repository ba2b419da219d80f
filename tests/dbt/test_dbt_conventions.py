"""The dbt project's structure conventions, checked on target/manifest.json.

What dbt-project-evaluator checks (it cannot be installed here: no dbt Hub), as plain asserts
over the manifest of `dbt parse`, which needs no database: naming per layer, source() only in
staging, a primary-key test on every model, every model, column and source described, every
source fresh-checked, contracts on the KPI marts, explicit incremental configs on the facts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from campaign_analytics.settings import DBT_PROJECT_DIR, load_settings
from tests.pipeline import dbt

PACKAGE = "campaign_analytics"
# folder under models/ -> allowed name prefixes
LAYERS = {
    "staging": ("stg_",),
    "intermediate": ("int_",),
    "marts/core": ("fct_", "dim_"),
    "marts/reporting": ("rpt_",),
}
# dbt-project-evaluator's own defaults, which dbt_project.yml's vars override
DEFAULT_EVALUATOR_PREFIXES = {
    "staging": ["stg_"],
    "intermediate": ["int_"],
    "marts": ["fct_", "dim_"],
}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data_dir = tmp_path_factory.mktemp("dbt_parse")
    # parse renders profiles and sources but opens no engine; with live marts on, so that
    # every model of the project is checked (the live one is built only then)
    settings = load_settings(
        {
            "CA_DATA_DIR": str(data_dir),
            "CHDB_PATH": str(data_dir / "chdb"),
            "DBT_TARGET_PATH": str(data_dir / "dbt_target"),
            "CA_LIVE_MARTS": "true",
        }
    )
    dbt(settings, "parse")
    return json.loads((settings.dbt_target_path / "manifest.json").read_text())


def ours(manifest: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == kind and node["package_name"] == PACKAGE
    ]


def layer(model: dict[str, Any]) -> str:
    folder = Path(model["original_file_path"]).parent.as_posix().removeprefix("models/")
    for name in sorted(LAYERS, key=len, reverse=True):
        if folder == name or folder.startswith(f"{name}/"):
            return name
    raise AssertionError(f"{model['name']} is in {folder}, outside every layer folder")


def generic_tests_on(manifest: dict[str, Any], model: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        test
        for test in ours(manifest, "test")
        if test.get("attached_node") == model["unique_id"]
        and test.get("test_metadata")  # generic tests only
    ]


def test_models_are_named_for_their_layer(manifest: dict[str, Any]) -> None:
    misnamed = [
        f"{model['original_file_path']} (expected {' or '.join(LAYERS[layer(model)])}...)"
        for model in ours(manifest, "model")
        if not model["name"].startswith(LAYERS[layer(model)])
    ]
    assert not misnamed


def test_staging_models_are_one_per_source_table(manifest: dict[str, Any]) -> None:
    staging = [m for m in ours(manifest, "model") if layer(m) == "staging"]
    for model in staging:
        sources = [n for n in model["depends_on"]["nodes"] if n.startswith("source.")]
        assert len(sources) == 1, f"{model['name']} must read exactly one source: {sources}"
        source = manifest["sources"][sources[0]]
        expected = f"stg_{source['source_name']}__{source['name']}"
        assert model["name"] == expected, f"{model['name']} should be named {expected}"
        assert Path(model["original_file_path"]).parent.name == source["source_name"]
    read = {n for m in staging for n in m["depends_on"]["nodes"] if n.startswith("source.")}
    unused = set(manifest["sources"]) - read
    assert not unused, f"sources without a staging model: {sorted(unused)}"


def test_source_is_used_only_in_staging(manifest: dict[str, Any]) -> None:
    offenders = [
        model["name"]
        for model in ours(manifest, "model")
        if layer(model) != "staging"
        and any(n.startswith("source.") for n in model["depends_on"]["nodes"])
    ]
    assert not offenders


def test_staging_models_do_not_ref_other_models(manifest: dict[str, Any]) -> None:
    offenders = [
        model["name"]
        for model in ours(manifest, "model")
        if layer(model) == "staging"
        and any(n.startswith("model.") for n in model["depends_on"]["nodes"])
    ]
    assert not offenders


def test_every_model_has_a_primary_key_test(manifest: dict[str, Any]) -> None:
    missing = []
    for model in ours(manifest, "model"):
        tests = generic_tests_on(manifest, model)
        by_column: dict[str, set[str]] = {}
        for test in tests:
            column = test.get("column_name")
            if column:
                by_column.setdefault(column, set()).add(test["test_metadata"]["name"])
        single = any({"unique", "not_null"} <= names for names in by_column.values())
        combined = any(t["test_metadata"]["name"] == "unique_combination_of_columns" for t in tests)
        if not (single or combined):
            missing.append(model["name"])
    assert not missing, f"models without unique+not_null or unique_combination: {missing}"


def test_every_model_and_column_is_described(manifest: dict[str, Any]) -> None:
    undocumented = []
    for model in ours(manifest, "model"):
        if not model["description"].strip():
            undocumented.append(model["name"])
        if not model["columns"]:
            undocumented.append(f"{model['name']} (no columns documented)")
        for column in model["columns"].values():
            if not column["description"].strip():
                undocumented.append(f"{model['name']}.{column['name']}")
    assert not undocumented


def test_every_source_is_described_and_fresh_checked(manifest: dict[str, Any]) -> None:
    problems = []
    for source in manifest["sources"].values():
        name = f"{source['source_name']}.{source['name']}"
        if not source["description"].strip():
            problems.append(f"{name}: no description")
        freshness = source.get("freshness") or {}
        if not (freshness.get("warn_after", {}).get("count")) or not (
            freshness.get("error_after", {}).get("count")
        ):
            problems.append(f"{name}: no warn_after/error_after freshness")
        if not (source.get("loaded_at_field") or source.get("loaded_at_query")):
            problems.append(f"{name}: neither loaded_at_field nor loaded_at_query")
    assert not problems


def test_kpi_marts_enforce_typed_contracts(manifest: dict[str, Any]) -> None:
    problems = []
    for model in ours(manifest, "model"):
        if layer(model) != "marts/reporting":
            continue
        if not model["config"]["contract"]["enforced"]:
            problems.append(f"{model['name']}: contract not enforced")
        problems += [
            f"{model['name']}.{c['name']}: no data_type"
            for c in model["columns"].values()
            if not c.get("data_type")
        ]
    assert not problems


def test_facts_are_incremental_with_explicit_configs(manifest: dict[str, Any]) -> None:
    """Facts are incremental, except a live one: a refreshable view (never an
    insert-triggered one) completing a public incremental fact, without dbt's catch-up."""
    facts = {m["name"]: m for m in ours(manifest, "model") if m["name"].startswith("fct_")}
    live = {name: m for name, m in facts.items() if m["config"]["meta"].get("completes")}
    assert live and len(facts) > len(live)
    for name, model in facts.items():
        config = model["config"]
        if name in live:
            assert config["materialized"] == "materialized_view", name
            assert config["refreshable"]["interval"] and config["catchup"] is False, name
            completed = facts[config["meta"]["completes"]]
            assert completed["config"]["materialized"] == "incremental", name
            assert completed["access"] == "public" and model["access"] != "public", name
            continue
        assert config["materialized"] == "incremental", name
        for key in ("incremental_strategy", "order_by", "partition_by", "on_schema_change"):
            assert config.get(key), f"{name} must set {key} explicitly"


def test_every_kpi_mart_has_unit_tests_and_the_report_an_exposure(
    manifest: dict[str, Any],
) -> None:
    tested = {
        test["depends_on"]["nodes"][0]
        for test in manifest["unit_tests"].values()
        if test["package_name"] == PACKAGE
    }
    untested = [
        model["name"]
        for model in ours(manifest, "model")
        if layer(model) == "marts/reporting" and model["unique_id"] not in tested
    ]
    assert not untested, f"KPI marts without a unit test: {untested}"
    exposures = [e for e in manifest["exposures"].values() if e["package_name"] == PACKAGE]
    assert any(e["name"] == "kpi_report" for e in exposures)


def test_kpi_macros_are_documented(manifest: dict[str, Any]) -> None:
    kpis = ["safe_divide", "ctr", "cvr", "cpc", "cpm", "cpa", "roas", "frequency", "pacing"]
    macros = {m["name"]: m for m in manifest["macros"].values() if m["package_name"] == PACKAGE}
    undocumented = [k for k in kpis if not macros.get(k, {}).get("description", "").strip()]
    assert not undocumented


def test_the_attribution_window_default_is_pinned_by_a_unit_test(manifest: dict) -> None:
    """The documented default, 30 days, is what the boundary unit test runs with.

    The unit test takes the project's own var (no override), so a default of 29 fails it in
    every default `dbt build` (make transform, make demo, tests/test_pipeline_e2e.py); here
    the fixture's boundary is checked against dbt_project.yml and the docs.
    """
    import datetime as dt

    import yaml

    from campaign_analytics.settings import DBT_PROJECT_DIR

    window = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"][
        "attribution_window_days"
    ]
    assert window == 30, "README and dbt_project/README.md document a 30-day default"
    test = manifest["unit_tests"][
        "unit_test.campaign_analytics.int_conversions_attributed.test_attribution_window_boundary"
    ]
    assert not (test.get("overrides") or {}).get("vars"), "must run with the project's vars"
    clicks = {r["click_id"]: r["clicked_at"] for r in test["given"][1]["rows"]}
    attributed = {r["conversion_id"]: r["is_attributed"] for r in test["expect"]["rows"]}
    gaps = set()
    for row in test["given"][2]["rows"]:
        clicked = dt.datetime.fromisoformat(clicks[row["click_id"]])
        gap = dt.datetime.fromisoformat(row["converted_at"]) - clicked
        assert attributed[row["conversion_id"]] == (gap <= dt.timedelta(days=window))
        gaps.add(gap)
    assert dt.timedelta(days=window) in gaps, "the boundary itself"
    assert dt.timedelta(days=window, microseconds=1) in gaps, "a microsecond past it"


def _env_example() -> dict[str, str]:
    from campaign_analytics.settings import REPO_ROOT

    pairs = (
        line.split("=", 1)
        for line in (REPO_ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#") and "=" in line
    )
    return dict(pairs)


def _render_profile(target: str, env: dict[str, str]) -> Any:
    """profiles.yml's ``target`` rendered and validated exactly as dbt does, no connection."""
    import argparse
    import os

    from dbt.config.profile import Profile
    from dbt.config.renderer import ProfileRenderer
    from dbt.flags import set_from_args
    from dbt_common.context import set_invocation_context

    from campaign_analytics.settings import DBT_PROJECT_DIR

    set_invocation_context(os.environ | env)
    set_from_args(argparse.Namespace(PROFILES_DIR=str(DBT_PROJECT_DIR)), {})
    return Profile.render(ProfileRenderer({}), PACKAGE, None, target, None).credentials


@pytest.mark.parametrize("secure", ["false", "true", "False", "1"])
def test_the_server_target_renders_from_the_settings_environment(secure: str) -> None:
    settings = load_settings(
        {
            "CA_TARGET": "server",
            "POSTGRES_DSN": "postgresql://ads_owner@127.0.0.1:5432/ads",
            "CLICKHOUSE_HOST": "clickhouse.internal",
            "CLICKHOUSE_HTTP_PORT": "8443",
            "CLICKHOUSE_USER": "ca_loader",
            "CLICKHOUSE_PASSWORD": "s3cret",
            "CLICKHOUSE_SECURE": secure,
        }
    )
    credentials = _render_profile("server", settings.dbt_env())
    assert type(credentials).__name__ == "ClickHouseCredentials"
    assert (credentials.host, credentials.port, credentials.user) == (
        "clickhouse.internal",
        8443,
        "ca_loader",
    )
    assert credentials.secure is (secure.lower() in {"true", "1"})
    assert credentials.schema == settings.analytics_database


def test_every_target_renders_with_env_example_values() -> None:
    """What the GitHub Actions services job exports: .env.example as it is."""
    import yaml

    from campaign_analytics.settings import DBT_PROJECT_DIR

    targets = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())[PACKAGE]["outputs"]
    assert set(targets) == {"embedded", "server"}
    for target in targets:
        credentials = _render_profile(target, _env_example())
        assert credentials.schema == "analytics", target
    assert _render_profile("server", _env_example()).secure is False


def test_kpi_marts_are_the_public_interface(manifest: dict[str, Any]) -> None:
    # exposures on non-public models are a dbt-project-evaluator finding
    access = {model["unique_id"]: model["access"] for model in ours(manifest, "model")}
    marts = [m for m in ours(manifest, "model") if layer(m) == "marts/reporting"]
    assert [m["name"] for m in marts if m["access"] != "public"] == []
    for exposure in manifest["exposures"].values():
        for node in exposure["depends_on"]["nodes"]:
            assert access.get(node) == "public", f"exposure {exposure['name']} reads {node}"


def test_evaluator_vars_classify_marts_and_primary_key_tests() -> None:
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    evaluator = project["vars"]["dbt_project_evaluator"]
    # every layer's prefix is one of the evaluator's model types
    prefixes = {
        p
        for name in ("staging", "intermediate", "marts")
        for p in evaluator.get(f"{name}_prefixes", DEFAULT_EVALUATOR_PREFIXES[name])
    }
    assert {p for allowed in LAYERS.values() for p in allowed} <= prefixes
    assert not set(evaluator.get("other_prefixes", [])) & prefixes


def test_primary_key_tests_are_ones_the_evaluator_counts(manifest: dict[str, Any]) -> None:
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    test_sets = project["vars"]["dbt_project_evaluator"]["primary_key_test_macros"]
    missing = []
    for model in ours(manifest, "model"):
        by_column: dict[str | None, set[str]] = {}
        for test in generic_tests_on(manifest, model):
            macros = {m.removeprefix("macro.") for m in test["depends_on"]["macros"]}
            by_column.setdefault(test.get("column_name"), set()).update(macros)
        if not any(set(tests) <= found for tests in test_sets for found in by_column.values()):
            missing.append(model["name"])
    assert not missing, f"no primary-key test dbt-project-evaluator recognises: {missing}"
