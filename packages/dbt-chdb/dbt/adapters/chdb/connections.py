"""Credentials, client and connection manager: dbt-clickhouse's, with chDB as transport."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chdb_engine
import clickhouse_connect
from clickhouse_connect.driver.exceptions import DatabaseError
from dbt.adapters.clickhouse import dbclient
from dbt.adapters.clickhouse.connections import ClickHouseConnectionManager
from dbt.adapters.clickhouse.credentials import ClickHouseCredentials
from dbt.adapters.clickhouse.httpclient import ChHttpClient
from dbt.adapters.clickhouse.util import hide_stack_trace
from dbt.adapters.events.logging import AdapterLogger
from dbt.adapters.exceptions import FailedToConnectError
from dbt.include import chdb as chdb_include
from dbt_common.exceptions import DbtDatabaseError, DbtRuntimeError

logger = AdapterLogger("chdb")

# Settings where clickhouse-local (what chDB starts as) and a server differ, set to the
# server's value so a model means the same on both targets.
SERVER_DEFAULTS = {
    # clickhouse-local runs a bare expression (`1 + 1`, or the typo `SELECTA x`) as a SELECT
    "implicit_select": 0,
}
# The engine keeps system.query_log only when started with a config that declares it.
QUERY_LOG_CONFIG = Path(chdb_include.PACKAGE_PATH) / "query_log.xml"


@dataclass
class ChdbCredentials(ClickHouseCredentials):
    """``type: chdb`` profile: ``path`` is the chDB data directory, ``schema`` the database."""

    path: str = ""
    lock_wait_seconds: float | None = None
    # Keep system.query_log, as a server does (see README: it lasts while the engine runs).
    query_log: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.cluster:
            raise DbtRuntimeError(
                f"profile of type chdb sets cluster: {self.cluster!r}, but chDB is one embedded "
                "engine with no cluster; use a `type: clickhouse` target for ON CLUSTER DDL and "
                "distributed tables"
            )

    @property
    def type(self) -> str:
        return "chdb"

    @property
    def unique_field(self) -> str:
        return self.path

    def _connection_keys(self) -> tuple[str, ...]:
        return ("path", "schema", "query_log", "custom_settings")


class ChdbClient(ChHttpClient):
    """dbt-clickhouse's HTTP client wrapper over clickhouse-connect's in-process chDB backend."""

    def _create_client(self, credentials: ChdbCredentials) -> Any:
        if not credentials.path:
            raise FailedToConnectError("profile of type chdb needs `path`: the chDB data directory")
        chdb_engine.use_utc()
        try:
            path = chdb_engine.wait_until_free(credentials.path, credentials.lock_wait_seconds)
        except chdb_engine.EngineLockedError as error:
            raise FailedToConnectError(str(error)) from error
        # dbt-clickhouse remembers per process which databases exist; a new engine (a test's
        # fresh directory, a dropped database) must be asked again.
        with dbclient._database_lock:
            dbclient._ensured_databases.clear()
        # dbt-clickhouse's HTTP session id means nothing in-process: each chDB client is its
        # own session already.
        settings = {k: v for k, v in self._conn_settings.items() if k != "session_id"}
        settings = {**SERVER_DEFAULTS, **settings}
        # the engine reads its config when it starts: is it already running in this process?
        already_running = chdb_engine.runs_in_this_process(path)
        options = {"config-file": str(QUERY_LOG_CONFIG)} if credentials.query_log else None
        client = clickhouse_connect.get_client(
            interface="chdb", path=path, settings=settings, chdb_options=options
        )
        if credentials.query_log and already_running and not _has_query_log(client):
            logger.warning(
                f"query_log: true has no effect: the chDB engine at {path} was started in this "
                f"process (pid {os.getpid()}) without a query log; it applies when dbt is the "
                "first to open the engine"
            )
        return client

    def query(self, sql: str, **kwargs: Any) -> Any:
        self._reject_multi_statements(sql)
        return super().query(sql, **kwargs)

    def command(self, sql: str, **kwargs: Any) -> Any:
        self._reject_multi_statements(sql)
        return super().command(sql, **kwargs)

    def _reject_multi_statements(self, sql: str) -> None:
        """Refuse what a server refuses: chDB runs `a; b` as two statements, a server not at all.

        The engine's own parser decides (formatQuery parses as the server's HTTP handler
        does, INSERT data included), so a `;` inside a string or comment is no statement.
        """
        if ";" not in sql:
            return
        try:
            self._client.query("SELECT formatQuerySingleLine({sql:String})", {"sql": sql})
        except DatabaseError as ex:
            if "Multi-statements are not allowed" not in str(ex):
                return  # another syntax error: running the statement reports it
            raise DbtDatabaseError(
                "one query holds several statements, which a ClickHouse server rejects, so the "
                "chdb target does too: run each statement on its own (a `set` in sql_header "
                f"belongs in the model's `settings` config). {hide_stack_trace(ex)}"
            ) from ex

    def _ensure_database(self, database_engine: str | None, cluster_name: str | None) -> None:
        # chDB's `default` database is not Atomic: create ours as Atomic so EXCHANGE works.
        super()._ensure_database(database_engine or "Atomic", cluster_name)


def _has_query_log(client: Any) -> bool:
    client.command("SYSTEM FLUSH LOGS")
    tables = client.query("SELECT name FROM system.tables WHERE database = 'system'")
    return ("query_log",) in tables.result_rows


class ChdbConnectionManager(ClickHouseConnectionManager):
    TYPE = "chdb"

    @classmethod
    def open(cls, connection: Any) -> Any:
        if connection.state == "open":
            return connection
        credentials = cls.get_credentials(connection.credentials)
        return cls.retry_connection(
            connection,
            connect=lambda: ChdbClient(credentials),
            logger=dbclient.logger,
            retry_limit=credentials.retries,
            retryable_exceptions=[dbclient.ChRetryableException],
        )
