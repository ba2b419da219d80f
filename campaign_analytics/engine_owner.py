"""Which process owns the embedded engines, so the others can say so in one line.

chDB lets one process hold a data directory. `campaign-analytics serve` holds it for its
whole life (and refreshes the warehouse itself), so while it runs `make load`, `make
transform` and `make kpis` cannot open it; it writes `serve.json` in the data directory,
and their error names the serving process and its refresh endpoint instead of a bare lock.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from campaign_analytics.settings import Settings


def _marker(settings: Settings) -> Path:
    return settings.data_dir / "serve.json"


def claim(settings: Settings, url: str, *, refreshes: bool) -> None:
    owner = {"pid": os.getpid(), "url": url, "refreshes": refreshes}
    _marker(settings).write_text(json.dumps(owner))


def release(settings: Settings) -> None:
    marker = _marker(settings)
    try:
        if json.loads(marker.read_text()).get("pid") == os.getpid():
            marker.unlink()
    except (OSError, ValueError):
        pass


def serving(settings: Settings) -> tuple[int, str, bool] | None:
    """(pid, url, refreshes) of a live `serve` process on these settings' data, not this one."""
    try:
        owner = json.loads(_marker(settings).read_text())
        pid, url, refreshes = int(owner["pid"]), str(owner["url"]), bool(owner["refreshes"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return pid, url, refreshes


def busy_message(settings: Settings) -> str | None:
    owner = serving(settings)
    if owner is None or settings.target != "embedded":
        return None
    pid, url, refreshes = owner
    if not refreshes:
        return (
            f"campaign-analytics serve (pid {pid}, {url}, --no-refresh) owns the embedded "
            "engines; stop it first (chDB allows one process per data directory)"
        )
    return (
        f"campaign-analytics serve (pid {pid}, {url}) owns the embedded engines and refreshes "
        f"the warehouse itself: ask it with `curl -X POST -H 'Authorization: Bearer <admin "
        f"key>' {url}/v1/admin/refresh`, or stop it first"
    )
