"""dbt-tests-adapter's fixtures, pointed at dbt-chdb.

Every dbt adapter runs dbt's standard suites by subclassing the classes in
``dbt.tests.adapter`` with a profile of its own type; this folder does that for ``type: chdb``.
Each test class gets its own database (dbt-tests-adapter's ``unique_schema``) in the session's
one chDB directory: a process holds one chDB path at a time, and the rest of the suite uses the
same one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# pandas 3.1 imported for the first time while freezegun has patched the clock (the --sample
# tests freeze time, and dbt imports pandas lazily) segfaults the interpreter; import it first.
import pandas  # noqa: F401
import pytest
from dbt.tests.fixtures.project import *  # noqa: F403 - dbt's functional-test fixtures

# The long suites (marked adapter_suite) run when this is set: .ci/run sets it, `make test`
# runs the basic suite and the engine-difference tests only.
FULL_SUITES = os.environ.get("DBT_CHDB_FULL_SUITES") == "1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "adapter_suite: a long dbt-tests-adapter suite (DBT_CHDB_FULL_SUITES=1)"
    )
    # dbt-tests-adapter's classes define class-scoped fixtures as instance methods
    config.addinivalue_line(
        "filterwarnings",
        "ignore:Class-scoped fixtures defined as instance methods:pytest.PytestRemovedIn10Warning",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if FULL_SUITES:
        return
    long = [item for item in items if item.get_closest_marker("adapter_suite")]
    if long:
        config.hook.pytest_deselected(items=long)
        items[:] = [item for item in items if not item.get_closest_marker("adapter_suite")]
        config.stash[_DESELECTED] = len(long)


_DESELECTED = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    deselected = config.stash.get(_DESELECTED, 0)
    if deselected:
        terminalreporter.write_line(
            f"dbt-chdb: {deselected} tests of dbt-tests-adapter's long suites deselected; "
            "DBT_CHDB_FULL_SUITES=1 runs them (.ci/run does)"
        )


@pytest.fixture(scope="class")
def dbt_profile_target(session_dir: Path) -> dict[str, object]:
    return {"type": "chdb", "path": str(session_dir / "chdb"), "threads": 4}


@pytest.fixture(scope="class")
def logs_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # dbt-tests-adapter writes logs under <rootdir>/logs; keep the work tree clean
    path = tmp_path_factory.mktemp("dbt_logs")
    os.environ["DBT_LOG_PATH"] = str(path)
    yield str(path)
    os.environ.pop("DBT_LOG_PATH", None)
