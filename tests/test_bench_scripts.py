"""The benchmarks the README shows still start: every bench/ script imports and parses --help.

They take minutes, so the suite does not run them (bench/ measures); an import that moved
(bench_load imported helpers from a test module that no longer had them, unnoticed for
several changes) must fail here instead of in the next person's benchmark run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from campaign_analytics.settings import REPO_ROOT

SCRIPTS = sorted((REPO_ROOT / "bench").glob("bench_*.py"))


def test_there_are_benchmarks() -> None:
    assert len(SCRIPTS) >= 6


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_benchmark_starts(script: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout
