"""dlt's ClickHouse destination on an embedded chDB engine.

Only the transport changes: SQL runs through ``chdb.connect(path)`` instead of
clickhouse-driver, and load files are read by the engine itself with
``INSERT ... FROM INFILE`` instead of being posted over HTTP. Everything that generates SQL
(DDL, table engines, merge and replace jobs, the staging dataset, ``_dlt_*`` tables, schema
evolution) is dlt's ClickHouse code, inherited unchanged.

What users of dlt's client API see is kept as on the ClickHouse destination (pinned by
tests/test_chdb_destination_conformance.py): ``fetchall``/``fetchmany`` return lists, a named
parameter without a value raises ``DatabaseTransientException``, errors are classified by the
same ClickHouse codes, the session gets the settings dlt's client sends (``implicit_select = 0``
too, a server's default, so a typo such as ``SELECTA`` is a syntax error as it is there), and
``pipeline.dataset().ibis()`` opens an ibis ClickHouse backend on the same engine.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, Final

import chdb_engine
from chdb._exceptions import ChdbError
from dlt.common.configuration import configspec
from dlt.common.data_writers.escape import escape_clickhouse_literal
from dlt.common.destination import DestinationCapabilitiesContext
from dlt.common.schema import Schema
from dlt.common.typing import DictStrAny
from dlt.destinations.exceptions import (
    DatabaseTerminalException,
    DatabaseTransientException,
    DatabaseUndefinedRelation,
)
from dlt.destinations.impl.clickhouse.clickhouse import ClickHouseClient
from dlt.destinations.impl.clickhouse.configuration import (
    ClickHouseClientConfiguration,
    ClickHouseCredentials,
)
from dlt.destinations.impl.clickhouse.factory import clickhouse
from dlt.destinations.impl.clickhouse.sql_client import (
    ClickHouseDBApiCursorImpl,
    ClickHouseSqlClient,
)
from dlt.destinations.job_client_impl import SqlJobClientWithStagingDataset
from dlt.destinations.sql_client import raise_database_error, raise_open_connection_error
from dlt.destinations.utils import _convert_to_old_pyformat

if TYPE_CHECKING:
    from ibis import BaseBackend

# Applied to every session, with dlt's per-connection settings (session_settings() below).
SESSION_SETTINGS = {
    # merge jobs run ALTER ... UPDATE/DELETE and read the result in the next statement
    "mutations_sync": 1,
    # chDB starts as clickhouse-local, which runs `1 + 1` (or the typo `SELECTA x`) as a
    # SELECT; a server does not, and a query must mean the same on both
    "implicit_select": 0,
}
# dlt's ClickHouse credentials put these in the connection's query string for the server; the
# rest of that query string is transport (timeouts, TLS). enable_http_compression means nothing
# in-process; it is set anyway so `system.settings` reads as on a server session.
_DLT_QUERY_SETTINGS = (
    "allow_experimental_lightweight_delete",
    "enable_http_compression",
    "date_time_input_format",
    "session_timezone",
)
_FILE_COMPRESSION = {"gz": "gzip", "none": "none"}  # "auto": the engine reads the file's suffix
_ERROR_CODE = re.compile(r"Code: (\d+)\.")
# As dlt's ClickHouse client classifies server errors: these codes are terminal (bad column,
# unknown identifier, table exists, bad type), these are missing relations, any other engine
# error (syntax errors, code 62, among them) is transient.
_TERMINAL_CODES = {44, 47, 57, 82}
_UNDEFINED_RELATION_CODES = {60, 81}  # unknown table, unknown database


@configspec(init=False)
class ChdbCredentials(ClickHouseCredentials):
    """A chDB data directory and the database (dlt's "catalog") to load into."""

    drivername: str = "chdb"
    path: str = None  # type: ignore[assignment]
    host: str = "localhost"  # unused in-process; kept for dlt's fingerprints
    lock_wait_seconds: float | None = None

    __config_gen_annotations__: ClassVar[list[str]] = ["path", "database"]

    def on_resolved(self) -> None:
        if not self.path:
            raise ValueError("chdb destination needs credentials.path (the chDB data directory)")

    def __str__(self) -> str:
        return f"chdb://{self.path}/{self.database}"


@configspec
class ChdbClientConfiguration(ClickHouseClientConfiguration):
    destination_type: Final[str] = dataclasses.field(  # type: ignore[misc]
        default="chdb", init=False, repr=False, compare=False
    )
    credentials: ChdbCredentials = None  # type: ignore[assignment]

    def fingerprint(self) -> str:
        from dlt.common.utils import digest128

        return digest128(self.credentials.path) if self.credentials else ""

    def data_location(self) -> str:
        return f"{self.credentials.path}/{self.credentials.database}"


class ChdbCursorImpl(ClickHouseDBApiCursorImpl):
    """dlt's cursor wrapper; rows come back in lists, as from clickhouse-driver's cursor."""

    def fetchall(self, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        return list(self.native_cursor.fetchall(*args, **kwargs))

    def fetchmany(self, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        return list(self.native_cursor.fetchmany(*args, **kwargs))


class ChdbSqlClient(ClickHouseSqlClient):
    def session_settings(self) -> dict[str, Any]:
        """The settings dlt's ClickHouse client gives each connection, and ours."""
        query = self.credentials.get_query()
        settings = {name: query[name] for name in _DLT_QUERY_SETTINGS if name in query}
        settings["select_sequential_consistency"] = self.config.select_sequential_consistency
        return {**settings, **SESSION_SETTINGS}

    def open_connection(self) -> Any:
        try:
            self._conn = chdb_engine.connect(
                self.credentials.path,
                self.credentials.database,
                self.credentials.lock_wait_seconds,
            )
        except chdb_engine.EngineLockedError as error:
            raise DatabaseTerminalException(error) from error
        for name, value in self.session_settings().items():
            self._conn.query(f"SET {name} = {escape_clickhouse_literal(value)}")
        return self._conn

    @raise_open_connection_error
    def close_connection(self) -> None:
        if self._conn:
            self._conn.close()
            self._conn = None

    def commit_transaction(self) -> None:
        pass  # no transactions in ClickHouse; every statement is committed on its own

    def rollback_transaction(self) -> None:
        pass

    @contextmanager
    @raise_database_error
    def execute_query(self, query: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        assert isinstance(query, str), "Query must be a string."
        params: DictStrAny = dict(kwargs)
        if args:
            query, params = _convert_to_old_pyformat(query, args, ChdbError)
            params.update(kwargs)
        params = {
            key: escape_clickhouse_literal(value)
            for key, value in self._sanitise_dbargs(params).items()
        }
        cursor = self._conn.cursor()
        try:
            for statement in query.split(";"):
                statement = statement.strip()
                if not statement:
                    continue
                # chDB takes no bound parameters: substitute escaped literals, pyformat style
                try:
                    statement = self.escape_pct(statement) % params
                except KeyError as missing:  # transient, as dlt's ClickHouse client says
                    raise ChdbError(f"query parameter {missing} has no value") from missing
                cursor.execute(statement)
            yield ChdbCursorImpl(cursor)
        finally:
            cursor.close()

    def insert_file(
        self, file_path: str, table_name: str, file_format: str, compression: str
    ) -> None:
        qualified_name = self.make_qualified_table_name(table_name)
        compression_clause = (
            f" COMPRESSION '{_FILE_COMPRESSION[compression]}'"
            if compression in _FILE_COMPRESSION
            else ""
        )
        self._conn.query(
            f"INSERT INTO {qualified_name} FROM INFILE {escape_clickhouse_literal(file_path)}"
            f"{compression_clause} SETTINGS input_format_parquet_allow_missing_columns = 1"
            f" FORMAT {file_format}"
        )

    @classmethod
    def _make_database_exception(cls, ex: Exception) -> Exception:
        if isinstance(ex, DatabaseTerminalException | DatabaseTransientException):
            return ex
        if not cls.is_dbapi_exception(ex):
            return ex
        match = _ERROR_CODE.search(str(ex))
        code = int(match.group(1)) if match else None
        if code in _UNDEFINED_RELATION_CODES:
            return DatabaseUndefinedRelation(ex)
        if code in _TERMINAL_CODES:
            return DatabaseTerminalException(ex)
        return DatabaseTransientException(ex)

    @staticmethod
    def is_dbapi_exception(ex: Exception) -> bool:
        return isinstance(ex, ChdbError)


class ChdbClient(ClickHouseClient):
    def __init__(
        self,
        schema: Schema,
        config: ChdbClientConfiguration,
        capabilities: DestinationCapabilitiesContext,
    ) -> None:
        super().__init__(schema, config, capabilities)
        dataset_name, staging_dataset_name = SqlJobClientWithStagingDataset.create_dataset_names(
            schema, config
        )
        self.sql_client = ChdbSqlClient(
            dataset_name,
            staging_dataset_name,
            list(schema.tables.keys()),
            config.credentials,
            capabilities,
            config,
        )


class chdb(clickhouse):  # noqa: N801 - dlt names destination factories in lower case
    spec = ChdbClientConfiguration  # type: ignore[assignment]

    def _raw_capabilities(self) -> DestinationCapabilitiesContext:
        caps = super()._raw_capabilities()
        # the engine reads parquet files straight from disk; jsonl stays supported
        caps.preferred_loader_file_format = "parquet"
        return caps

    def capabilities(
        self, config: ChdbClientConfiguration | None = None, naming: Any = None
    ) -> DestinationCapabilitiesContext:
        """dlt's capabilities, those without a config computed once per naming convention.

        Without a config, dlt resolves this destination's whole configuration from every
        provider to adjust them: 8 times a run, ~0.2 s of a ~1 s live cycle (profiled). A
        factory is made per pipeline (load.destination) and its arguments are fixed, so the
        answer does not change over its life; each caller gets its own copy, as before."""
        if config is not None:
            return super().capabilities(config, naming)
        key = None if naming is None else (type(naming), naming.max_length)
        if key not in self._capabilities_by_naming:
            self._capabilities_by_naming[key] = super().capabilities(None, naming)
        return copy.deepcopy(self._capabilities_by_naming[key])

    @functools.cached_property
    def _capabilities_by_naming(self) -> dict[Any, DestinationCapabilitiesContext]:
        return {}

    @property
    def client_class(self) -> type[ChdbClient]:
        return ChdbClient

    def create_ibis_backend(
        self, client: ChdbClient, read_only: bool = False, schemas: Any = ()
    ) -> BaseBackend:
        """ibis' ClickHouse backend over clickhouse-connect's in-process chDB client.

        dlt's ClickHouse factory connects ibis over HTTPS to ``credentials.host``; here the
        backend shares this process's engine. ``disconnect()`` closes its connection.
        """
        import clickhouse_connect
        from dlt.helpers.ibis import ibis  # MissingDependencyException names ibis-framework

        credentials: ChdbCredentials = client.config.credentials
        try:
            path = chdb_engine.wait_until_free(credentials.path, credentials.lock_wait_seconds)
        except chdb_engine.EngineLockedError as error:
            raise DatabaseTerminalException(error) from error
        chdb_engine.use_utc()
        connection = clickhouse_connect.get_client(
            interface="chdb",
            path=path,
            database=credentials.database,
            settings=client.sql_client.session_settings(),
        )
        return ibis.clickhouse.from_connection(connection)


chdb.register()
