"""dlt's local pipeline directory: checked before a run, and rebuilt from ClickHouse on request.

dlt keeps the pipeline's state (incremental cursors) and schemas both locally (state.json,
schemas/*.json in the working directory) and in the destination (with every load package).
A local copy that cannot be read stops every run with a JSON traceback; removing the local
directory is dlt's own recovery: the next run finds no local state and restores state and
schemas from the destination (``restore_from_destination``, on by default). A package left
unfinished in that directory is lost with it, and its rows are extracted again, because the
restored cursor is the one of the last package that was loaded.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from campaign_analytics.errors import UserFacingError, one_line

RESTORE_COMMAND = "campaign-analytics load --restore-state"


class CorruptStateError(UserFacingError):
    """dlt's local state cannot be read; the message names the file and the recovery."""


def corrupt(working_dir: Path, what: str) -> CorruptStateError:
    return CorruptStateError(
        f"{what}; run `{RESTORE_COMMAND}` (or `make load RESTORE_STATE=1`): it removes the "
        f"local pipeline directory {working_dir} and restores dlt's state and schemas from "
        "ClickHouse (rows of a load package left unfinished there are extracted again)"
    )


def check_readable(working_dir: Path) -> None:
    """Fail in one line, naming the file, when dlt could not parse its local state."""
    files = [working_dir / "state.json", *sorted((working_dir / "schemas").glob("*.json"))]
    for path in files:
        if not path.exists():
            continue
        try:
            json.loads(path.read_bytes())
        except ValueError as error:  # json.JSONDecodeError and UnicodeDecodeError
            raise corrupt(
                working_dir, f"dlt's local state file {path} is corrupt ({one_line(error)})"
            ) from None


def remove(working_dir: Path) -> bool:
    """Remove the local pipeline directory; False when there was none."""
    if not working_dir.exists():
        return False
    shutil.rmtree(working_dir)
    return True
