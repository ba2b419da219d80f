"""The chDB destination keeps the contract of dlt's ClickHouse destination.

Run through the pipeline's own ``dlt_pipelines.load.destination``, on real chDB, the points of
dlt's load suite (tests/load/test_sql_client.py, test_read_interfaces.py, and
clickhouse/test_clickhouse_configuration.py) where the embedded destination once differed:
result shapes, exception types, error classification, session settings and dataset access.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import pytest
from chdb._exceptions import ChdbError
from dlt.destinations.exceptions import (
    DatabaseException,
    DatabaseTerminalException,
    DatabaseTransientException,
    DatabaseUndefinedRelation,
)
from dlt.destinations.impl.clickhouse.factory import clickhouse

from campaign_analytics.settings import load_settings
from dlt_pipelines.load import destination

ITEMS = [
    {"id": 1, "name": "alpha", "tags": ["a"]},
    {"id": 2, "name": "beta", "tags": ["b", "c"]},
    {"id": 3, "name": "gamma", "tags": []},
]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory, session_dir: Path) -> dlt.Pipeline:
    suffix = uuid.uuid4().hex[:8]
    settings = load_settings(
        {
            "CA_DATA_DIR": str(tmp_path_factory.mktemp("conformance")),
            "CHDB_PATH": str(session_dir / "chdb"),
            "CLICKHOUSE_RAW_DATABASE": f"raw_{suffix}",
            "CLICKHOUSE_DATABASE": f"analytics_{suffix}",
        }
    )
    p = dlt.pipeline(
        pipeline_name=f"conformance_{suffix}",
        pipelines_dir=str(settings.dlt_pipelines_dir),
        destination=destination(settings),
        dataset_name="conformance",
    )
    p.run(ITEMS, table_name="items", write_disposition="replace")
    return p


@pytest.fixture
def sql_client(pipeline: dlt.Pipeline) -> Iterator[Any]:
    with pipeline.sql_client() as client:
        yield client


def items_table(sql_client: Any) -> str:
    return sql_client.make_qualified_table_name("items")


def test_fetchall_and_fetchmany_return_lists_of_rows(sql_client: Any) -> None:
    query = f"SELECT id, name FROM {items_table(sql_client)} ORDER BY id"
    assert sql_client.execute_sql(query) == [(1, "alpha"), (2, "beta"), (3, "gamma")]
    with sql_client.execute_query(query) as cursor:
        assert [column[0] for column in cursor.description] == ["id", "name"]
        assert cursor.fetchmany(2) == [(1, "alpha"), (2, "beta")]
        assert cursor.fetchall() == [(3, "gamma")]
    with sql_client.execute_query(f"{query} LIMIT 0") as cursor:
        assert cursor.fetchall() == []


def test_parameters_are_bound_as_literals(sql_client: Any) -> None:
    table = items_table(sql_client)
    named = f"SELECT name FROM {table} WHERE id = %(id)s OR name = %(name)s ORDER BY id"
    assert sql_client.execute_sql(named, id=1, name="it's") == [("alpha",)]
    assert sql_client.execute_sql(f"SELECT name FROM {table} WHERE id = %s", 3) == [("gamma",)]


def test_missing_or_extra_parameters_are_transient_dbapi_errors(sql_client: Any) -> None:
    table = items_table(sql_client)
    with pytest.raises(DatabaseTransientException) as missing:
        sql_client.execute_sql(f"SELECT * FROM {table} WHERE name = %(date)s")
    assert sql_client.is_dbapi_exception(missing.value.dbapi_exception)
    assert "'date'" in str(missing.value)
    query = f"SELECT * FROM {table} WHERE name = %(date)s"
    with (
        pytest.raises(DatabaseTransientException) as missing_in_query,
        sql_client.execute_query(query),
    ):
        pass
    assert isinstance(missing_in_query.value.dbapi_exception, ChdbError)
    with pytest.raises(DatabaseTransientException):
        sql_client.execute_sql(f"SELECT * FROM {table} WHERE id = %s", 1, 2)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # a syntax error, not an implicit SELECT of the identifier `SELECTA`
        ("SELECTA * FROM TABLE_XXX ORDER BY inserted_at", DatabaseTransientException),
        ("SELECT * FROM {items} ORDER BY column_XXX", DatabaseTerminalException),
        ("SELECT * FROM TABLE_XXX", DatabaseUndefinedRelation),
        ("DELETE FROM TABLE_XXX WHERE 1=1", DatabaseUndefinedRelation),
        ("DROP TABLE TABLE_XXX", DatabaseUndefinedRelation),
        ("SELECT * FROM no_such_database_xxx.items", DatabaseUndefinedRelation),
    ],
)
def test_errors_are_classified_as_dlt_clickhouse_does(
    sql_client: Any, query: str, expected: type[Exception]
) -> None:
    with pytest.raises(expected) as raised:
        sql_client.execute_sql(query.format(items=items_table(sql_client)))
    assert type(raised.value) is expected
    assert sql_client.is_dbapi_exception(raised.value.dbapi_exception)


def test_expressions_without_select_are_rejected_as_on_a_server(sql_client: Any) -> None:
    with pytest.raises(DatabaseTransientException, match="Code: 62"):
        sql_client.execute_sql("1 + 1")


def test_sessions_get_the_settings_of_dlt_clickhouse_client(sql_client: Any) -> None:
    expected = {
        ("allow_experimental_lightweight_delete", "1"),
        ("enable_http_compression", "1"),
        ("date_time_input_format", "best_effort"),
        ("select_sequential_consistency", "1"),
        ("mutations_sync", "1"),
        ("implicit_select", "0"),
    }
    connection = sql_client.native_connection
    for cursor in (connection.cursor(), connection.cursor()):
        cursor.execute("SELECT name, value FROM system.settings")
        assert expected <= set(cursor.fetchall())
        cursor.close()


def test_dataset_is_found_created_and_dropped(pipeline: dlt.Pipeline) -> None:
    with pipeline.destination_client() as client:
        assert client.sql_client.has_dataset()
        with client.sql_client.with_alternative_dataset_name("not_existing"):
            assert not client.sql_client.has_dataset()
        with client.sql_client.with_alternative_dataset_name(f"scratch_{uuid.uuid4().hex[:6]}"):
            client.sql_client.create_dataset()
            with pytest.raises(DatabaseException):
                client.sql_client.create_dataset()
            assert client.sql_client.has_dataset()
            client.sql_client.drop_dataset()
            assert not client.sql_client.has_dataset()


def test_pipeline_dataset_reads_rows_and_frames(pipeline: dlt.Pipeline) -> None:
    dataset = pipeline.dataset()
    assert dataset.items.select("id", "name").order_by("id").fetchall() == [
        (1, "alpha"),
        (2, "beta"),
        (3, "gamma"),
    ]
    assert sorted(dataset.row_counts().fetchall()) == [("items", 3), ("items__tags", 3)]
    assert len(dataset.items__tags.df()) == 3


def test_pipeline_dataset_ibis_backend_runs_on_the_engine(pipeline: dlt.Pipeline) -> None:
    with pipeline.destination_client() as client:
        prefix = "conformance" + client.config.dataset_table_separator
    backend = pipeline.dataset().ibis()
    try:
        tables = set(backend.list_tables(like=prefix))
        expected = {"items", "items__tags", "_dlt_loads", "_dlt_version", "dlt_sentinel_table"}
        assert {prefix + name for name in expected} <= tables
        items = backend.table(prefix + "items")
        assert items.count().to_pyarrow().as_py() == 3
        names = items.order_by("id").name.to_pyarrow().to_pylist()
        assert names == ["alpha", "beta", "gamma"]
    finally:
        backend.disconnect()


def test_capabilities_are_dlts_computed_once_and_copied(
    pipeline: dlt.Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory = pipeline.destination
    naming = pipeline.default_schema.naming
    uncached = clickhouse.capabilities(factory, None, naming)  # dlt's own, uncached
    first = factory.capabilities(naming=naming)

    resolved = []  # dlt swallows an error raised here, so count the calls instead
    configuration = factory.configuration

    def resolve_again(*args: Any, **kwargs: Any) -> Any:
        resolved.append(args)
        return configuration(*args, **kwargs)

    monkeypatch.setattr(factory, "configuration", resolve_again)
    second = factory.capabilities(naming=naming)
    assert not resolved
    assert dict(first) == dict(uncached)
    assert first.preferred_loader_file_format == "parquet"
    first.supported_loader_file_formats.append("csv-by-a-caller")
    assert "csv-by-a-caller" not in second.supported_loader_file_formats
    third = factory.capabilities(naming=naming)
    assert "csv-by-a-caller" not in third.supported_loader_file_formats
