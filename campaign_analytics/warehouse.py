"""A ClickHouse client for either target: chDB in-process, or a server over HTTP."""

from __future__ import annotations

from typing import Any

import chdb_engine
import clickhouse_connect

from campaign_analytics.errors import UserFacingError
from campaign_analytics.settings import Settings


class WarehouseUnavailableError(UserFacingError):
    """ClickHouse cannot be reached; the message says why and what to do."""


def client(settings: Settings, database: str | None = None) -> Any:
    """clickhouse-connect client on ``database`` (default: the analytics database)."""
    database = database or settings.analytics_database
    if settings.target == "embedded":
        chdb_engine.use_utc()
        try:
            path = chdb_engine.wait_until_free(settings.chdb_path, settings.lock_wait_seconds)
        except chdb_engine.EngineLockedError as error:
            raise WarehouseUnavailableError(str(error)) from error
        if not settings.chdb_path.exists():
            raise WarehouseUnavailableError(
                f"no chDB data at {settings.chdb_path}; run `make load` first"
            )
        return clickhouse_connect.get_client(interface="chdb", path=path, database=database)
    server = settings.clickhouse
    try:
        return clickhouse_connect.get_client(
            host=server.host,
            port=server.http_port,
            username=server.user,
            password=server.password,
            secure=server.secure,
            database=database,
        )
    except clickhouse_connect.driver.exceptions.OperationalError as error:
        raise WarehouseUnavailableError(
            f"cannot reach ClickHouse at {server.host}:{server.http_port} ({error}); "
            "check CLICKHOUSE_HOST/CLICKHOUSE_HTTP_PORT or run `make up`"
        ) from error
