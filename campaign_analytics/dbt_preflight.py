"""Checks `campaign-analytics dbt ...` makes before dbt starts, each failing in one line.

dbt reports a missing raw database as one error per source-reading node (13 of them, 350
lines), and `dbt docs serve` on a taken port as an OSError traceback. Both are foreseeable.
"""

from __future__ import annotations

import errno
import socket
import tomllib
from collections.abc import Sequence

from campaign_analytics import warehouse
from campaign_analytics.errors import UserFacingError
from campaign_analytics.settings import DLT_PROJECT_DIR, Settings

# dbt commands that read the raw tables (through the staging views' sources)
READS_SOURCES = {"build", "run", "test", "seed", "snapshot", "compile", "show", "retry", "source"}
DOCS_DEFAULT_PORT = 8080


class DbtPreflightError(UserFacingError):
    """dbt would fail before doing anything useful; the message says what to do first."""


def raw_tables() -> list[str]:
    """Raw table names dlt writes: `<dataset>__<table>` for every replicated table."""
    config = tomllib.loads((DLT_PROJECT_DIR / ".dlt" / "config.toml").read_text())
    source = config["sources"]["ad_platform"]
    return [f"ad_platform__{t}" for t in [*source["dimension_tables"], *source["event_tables"]]]


def _missing_raw_tables(settings: Settings) -> list[str]:
    db = warehouse.client(settings, database="system")
    try:
        present = {
            name
            for (name,) in db.query(
                "select name from system.tables where database = %(db)s",
                parameters={"db": settings.raw_database},
            ).result_rows
        }
    finally:
        db.close()
    return [t for t in raw_tables() if t not in present]


def _port(args: Sequence[str]) -> int:
    for i, arg in enumerate(args):
        if arg == "--port" and i + 1 < len(args):
            return int(args[i + 1])
        if arg.startswith("--port="):
            return int(arg.split("=", 1)[1])
    return DOCS_DEFAULT_PORT


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            raise DbtPreflightError(
                f"port {port} is in use, so `dbt docs serve` cannot listen on it; stop what "
                f"uses it or pick another port: `make docs-serve DOCS_PORT={port + 1}` "
                f"(campaign-analytics dbt docs serve --port {port + 1})"
            ) from None


def check(settings: Settings, args: Sequence[str]) -> None:
    """Fail in one line when ``dbt <args>`` cannot work yet."""
    if not args or "--help" in args or "-h" in args:
        return
    command = args[0]
    if command == "docs" and args[1:2] == ["serve"]:
        _check_port_free(_port(args))
        return
    if command in READS_SOURCES or (command == "docs" and args[1:2] == ["generate"]):
        missing = _missing_raw_tables(settings)
        if missing:
            everything = len(missing) == len(raw_tables())
            raise DbtPreflightError(
                f"no raw data to transform in ClickHouse database {settings.raw_database}; "
                "run `make load` first"
                if everything
                else f"raw tables {', '.join(missing)} are missing in {settings.raw_database}; "
                "run `make load` first"
            )
