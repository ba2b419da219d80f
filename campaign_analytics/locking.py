"""A lock file naming its holder: one process at a time in a working directory.

dlt's pipeline directory (load packages being extracted, normalized and loaded) is not safe to
share: a second `make load` that starts while the first is running moves the first one's
package away under it. chDB's own lock cannot help on the server target, and on the embedded
target the chDB directory is only held while a load talks to ClickHouse. So every load and
reconciliation holds this lock on the pipeline's directory for its whole run, and waits for it
as :func:`chdb_engine.wait_until_free` waits for the engine: briefly, then failing in one line
that names the process holding it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from campaign_analytics.errors import UserFacingError


class BusyError(UserFacingError):
    """Another process holds the lock; the message names it and says what to do."""


def _holder(handle: object) -> str:
    handle.seek(0)  # type: ignore[attr-defined]
    return handle.read().strip() or "unknown"  # type: ignore[attr-defined]


@contextlib.contextmanager
def exclusive(
    lock_file: Path, wait_seconds: float, describe_busy: Callable[[str], str]
) -> Iterator[None]:
    """Hold ``lock_file`` (flock) for the block; ``describe_busy(pid)`` words the failure."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a+") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BusyError(describe_busy(_holder(handle))) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
