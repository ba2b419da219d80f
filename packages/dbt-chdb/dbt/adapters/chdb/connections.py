"""Credentials, client and connection manager: dbt-clickhouse's, with chDB as transport."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import chdb_engine
import clickhouse_connect
from dbt.adapters.clickhouse import dbclient
from dbt.adapters.clickhouse.connections import ClickHouseConnectionManager
from dbt.adapters.clickhouse.credentials import ClickHouseCredentials
from dbt.adapters.clickhouse.httpclient import ChHttpClient
from dbt.adapters.exceptions import FailedToConnectError


@dataclass
class ChdbCredentials(ClickHouseCredentials):
    """``type: chdb`` profile: ``path`` is the chDB data directory, ``schema`` the database."""

    path: str = ""
    lock_wait_seconds: float | None = None

    @property
    def type(self) -> str:
        return "chdb"

    @property
    def unique_field(self) -> str:
        return self.path

    def _connection_keys(self) -> tuple[str, ...]:
        return ("path", "schema", "custom_settings")


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
        return clickhouse_connect.get_client(interface="chdb", path=path, settings=settings)

    def _ensure_database(self, database_engine: str | None, cluster_name: str | None) -> None:
        # chDB's `default` database is not Atomic: create ours as Atomic so EXCHANGE works.
        super()._ensure_database(database_engine or "Atomic", cluster_name)


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
