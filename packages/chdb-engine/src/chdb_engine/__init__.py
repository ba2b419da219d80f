"""Open a chDB data directory the way every tool in this repo needs it.

chDB is ClickHouse in-process. Three of its traits bite every caller, so they are
handled here once, for the dlt destination, the dbt plugin and the tests alike:

* A data directory is held by one process at a time (an exclusive flock on
  ``<path>/status``). A second process only gets ``Code: 36 ... Error initializing
  EmbeddedServer``; :func:`wait_until_free` turns that into an error naming the holder.
* The engine takes its timezone from the host's ``TZ`` when it starts, so
  :func:`use_utc` must run before the first open.
* chDB's ``default`` database is not Atomic (no EXCHANGE TABLES), so callers work in
  a dedicated database created with :func:`ensure_database`.
* Closing the last connection of a process shuts the embedded server down, and the next
  open starts it again (80-600 ms each). dlt opens and closes its connection about six
  times per load; :func:`held` keeps one connection open for a block (a command's whole
  run), so every other open in the process reuses the running engine (about 2 ms).
  :func:`runs_in_this_process` tells whether an open now would start it (the engine reads
  its options, such as dbt-chdb's query log, only when it starts).
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_LOCK_WAIT_SECONDS",
    "EngineLockedError",
    "LockWaitSettingError",
    "connect",
    "default_lock_wait_seconds",
    "ensure_database",
    "held",
    "parse_lock_wait_seconds",
    "quote_identifier",
    "runs_in_this_process",
    "use_utc",
    "wait_until_free",
]

DEFAULT_LOCK_WAIT_SECONDS = 10.0
LOCK_WAIT_VARIABLE = "CHDB_LOCK_WAIT_SECONDS"


class EngineLockedError(RuntimeError):
    """Another process holds the chDB data directory."""


class LockWaitSettingError(ValueError):
    """CHDB_LOCK_WAIT_SECONDS is not a number of seconds."""


def parse_lock_wait_seconds(raw: str) -> float:
    """Seconds to wait for the directory's lock, from the text of CHDB_LOCK_WAIT_SECONDS."""
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise LockWaitSettingError(
            f"{LOCK_WAIT_VARIABLE}={raw!r} is not a number of seconds; set it to a number "
            f">= 0 (default {DEFAULT_LOCK_WAIT_SECONDS:g})"
        )
    return value


def default_lock_wait_seconds() -> float:
    """The wait from the environment, read when needed (a bad value must not break imports)."""
    return parse_lock_wait_seconds(
        os.environ.get(LOCK_WAIT_VARIABLE, str(DEFAULT_LOCK_WAIT_SECONDS))
    )


def use_utc() -> None:
    """Run the engine on UTC; it reads ``TZ`` only once, when it first starts."""
    if os.environ.get("TZ") != "UTC":
        os.environ["TZ"] = "UTC"
        time.tzset()


def _holder_pid(status_file: Path) -> str:
    try:
        match = re.search(r"PID:\s*(\d+)", status_file.read_text())
    except OSError:
        return "unknown"
    return match.group(1) if match else "unknown"


def _command_of(pid: str) -> str:
    """`` (the command line)`` of a running process, when this system shows it."""
    try:
        raw = Path(f"/proc/{int(pid)}/cmdline").read_bytes()
    except (OSError, ValueError):
        return ""
    words = [Path(w).name if i == 0 else w for i, w in enumerate(raw.decode().split("\0")) if w]
    return f" ({' '.join(words)[:120]})" if words else ""


def _is_free(status_file: Path) -> bool:
    try:
        handle = status_file.open()  # closed below, after the probe
    except FileNotFoundError:
        return True  # the engine removes status on a clean close
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def runs_in_this_process(path: str | Path) -> bool:
    """Whether this process is running the engine at ``path`` now: a connection opened
    meanwhile shares it (and the options it started with) instead of starting it."""
    status_file = Path(os.path.realpath(path)) / "status"
    # the status file names the last process to start it; the lock says it still runs
    return _holder_pid(status_file) == str(os.getpid()) and not _is_free(status_file)


def wait_until_free(path: str | Path, wait_seconds: float | None = None) -> str:
    """Return the resolved path once no other process holds it, else raise EngineLockedError."""
    resolved = os.path.realpath(path)
    status_file = Path(resolved) / "status"
    own = str(os.getpid())
    wait = default_lock_wait_seconds() if wait_seconds is None else wait_seconds
    deadline = time.monotonic() + wait
    # Asked again each round: while another thread of this process starts the engine, the
    # status file is locked before it names this process (dbt opens connections from several
    # threads at once), and chDB shares its own running engine between connections.
    while _holder_pid(status_file) != own and not _is_free(status_file):
        if time.monotonic() >= deadline:
            holder = _holder_pid(status_file)
            raise EngineLockedError(
                f"chDB data directory {resolved} is in use by process {holder}"
                f"{_command_of(holder)} (waited {wait:g}s); stop that process or "
                "wait for it to finish, then retry (CHDB_LOCK_WAIT_SECONDS sets the wait)."
            )
        time.sleep(0.2)
    return resolved


def quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def ensure_database(connection: Any, database: str) -> None:
    """Create ``database`` as Atomic (EXCHANGE-capable) and make it the session's current one."""
    if database == "default":
        raise ValueError("use a dedicated database: chDB's `default` is not Atomic")
    quoted = quote_identifier(database)
    connection.query(f"CREATE DATABASE IF NOT EXISTS {quoted} ENGINE = Atomic")
    connection.query(f"USE {quoted}")


# Server settings for an engine this package starts (a connection string's query part; a
# connection to an engine already running shares its settings). An Atomic database keeps a
# dropped table for 480 s by default: a refreshable materialized view replaces its target
# table on every refresh, so a live `serve` refreshing every few seconds kept ~160 of them
# and chDB's memory grew ~1 MB a cycle (bench_soak: 42 -> 251 MB over 230 cycles). A dropped
# table still goes only when no query reads it.
STARTUP_SETTINGS = "database_atomic_delay_before_drop_table_sec=5"


def _open(resolved: str) -> Any:
    import chdb

    return chdb.connect(f"{resolved}?{STARTUP_SETTINGS}")


def connect(path: str | Path, database: str, wait_seconds: float | None = None) -> Any:
    """Open (or re-open) the engine at ``path`` on UTC, inside ``database``."""
    use_utc()
    resolved = wait_until_free(path, wait_seconds)
    Path(resolved).mkdir(parents=True, exist_ok=True)
    connection = _open(resolved)
    ensure_database(connection, database)
    return connection


_held: dict[str, list[Any]] = {}  # resolved path -> [connection, depth]


@contextlib.contextmanager
def held(path: str | Path, wait_seconds: float | None = None) -> Iterator[str]:
    """Keep the engine at ``path`` running for the block; yields the resolved path.

    Connections opened meanwhile in this process (dlt's, dbt's, clickhouse-connect's) share
    the running engine instead of restarting it. Nested blocks on the same path share one
    connection. The directory stays locked for the block: run other processes' work on it
    outside.
    """
    use_utc()
    resolved = wait_until_free(path, wait_seconds)
    entry = _held.get(resolved)
    if entry is None:
        Path(resolved).mkdir(parents=True, exist_ok=True)
        entry = _held[resolved] = [_open(resolved), 0]
    entry[1] += 1
    try:
        yield resolved
    finally:
        entry[1] -= 1
        if entry[1] == 0:
            del _held[resolved]
            entry[0].close()
