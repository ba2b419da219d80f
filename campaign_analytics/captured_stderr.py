"""Hold back what a step writes to file descriptor 2, to show it only when it helps.

connectorx reports a lost PostgreSQL connection as a Rust panic: the panic hook writes its
message (and, with RUST_BACKTRACE, hundreds of frames) straight to file descriptor 2 before
Python sees an exception, so no ``except`` can keep it off the terminal. A load therefore runs
with descriptor 2 sent to a temporary file: on success its text is written out as it was
(dlt's warnings), on failure it goes to a log file and the user sees one line naming it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class Captured:
    text: str = ""


@contextlib.contextmanager
def captured_stderr() -> Iterator[Captured]:
    captured = Captured()
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.text = sink.read().decode(errors="replace")
