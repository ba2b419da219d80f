"""The embedded engine's directory lock, as dbt's threads and other processes meet it."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

import chdb_engine
import pytest


def test_a_thread_waits_while_another_thread_of_its_process_starts_the_engine(
    tmp_path: Path,
) -> None:
    # What chDB does on start: lock `status`, then write the holder's PID into it. A second
    # dbt thread asking in between must see its own process's engine, not another process's.
    status = tmp_path / "status"
    status.write_text("")
    handle = status.open("r+")
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def name_this_process() -> None:
        time.sleep(0.5)
        handle.write(f"PID:\t{os.getpid()}\n")
        handle.flush()

    writer = threading.Thread(target=name_this_process)
    writer.start()
    try:
        # before the fix it waited the whole wait out, then raised EngineLockedError
        assert chdb_engine.wait_until_free(tmp_path, wait_seconds=5) == os.path.realpath(tmp_path)
    finally:
        writer.join()
        handle.close()


def test_a_directory_another_process_holds_is_refused_after_the_wait(tmp_path: Path) -> None:
    status = tmp_path / "status"
    status.write_text("PID:\t1\n")
    with status.open() as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(chdb_engine.EngineLockedError, match="in use by process 1 "):
            chdb_engine.wait_until_free(tmp_path, wait_seconds=0.3)


def test_runs_in_this_process_only_while_this_process_holds_the_lock(tmp_path: Path) -> None:
    assert not chdb_engine.runs_in_this_process(tmp_path)  # never started: no status file
    status = tmp_path / "status"
    status.write_text(f"PID:\t{os.getpid()}\n")
    # named, not locked: what a killed process whose PID this one reuses leaves behind
    assert not chdb_engine.runs_in_this_process(tmp_path)
    with status.open() as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert chdb_engine.runs_in_this_process(tmp_path)
        status.write_text("PID:\t1\n")  # another process's engine
        assert not chdb_engine.runs_in_this_process(tmp_path)


def test_an_engine_it_starts_forgets_dropped_tables_within_seconds(tmp_path: Path) -> None:
    # a refreshable view replaces its target table on every refresh: with the Atomic
    # default (480 s) a live serve kept ~160 replaced tables in memory
    with chdb_engine.held(tmp_path / "chdb") as path:
        connection = chdb_engine.connect(path, "engine_settings")
        try:
            delay = connection.query(
                "select value from system.server_settings "
                "where name = 'database_atomic_delay_before_drop_table_sec'",
                "TSV",
            )
            assert str(delay).strip() == "5"
        finally:
            connection.close()
