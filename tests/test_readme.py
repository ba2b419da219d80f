"""Every command the README shows works as pasted, on the demo data.

The module runs `make demo` once in a directory of its own (its own source database and
chDB), then every fenced ```bash block of README.md (as one bash script, top to bottom) and
every inline `make ...` / `campaign-analytics ...` command, in that environment. A block or
command is left out only for a reason written here: it needs Docker, is this very suite, or
takes minutes (the benchmarks, measured in bench/).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from campaign_analytics.settings import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()
pytestmark = pytest.mark.e2e

# commands (or the first line of blocks) left out, and why
NOT_RUN = {
    "make demo": "the module's fixture runs it",
    "make test": "this suite itself",
    "make lint": "the linters run in .ci/run before the suite",
    "make up": "needs a Docker engine",
    "cp .env.example .env": "the server target: needs a Docker engine",
    "uv run python bench/bench_seed.py": "benchmarks take minutes (bench/)",
    "make serve": "the curl session's test starts it (it needs the server running)",
    "campaign-analytics serve": "the curl session's test starts the API (make serve)",
    "uv run campaign-analytics serve": "the curl session's test starts the API (make serve)",
    # the same load against the local fakes is `make demo-platforms`, which runs here
    "make load-platforms": "needs ad-platform accounts and credentials",
    "campaign-analytics load --platforms": "needs ad-platform accounts and credentials",
}
# `make demo` is `make setup seed load transform docs kpis`: the fixture ran these targets
RUN_BY_DEMO = {"make seed", "make load", "make transform", "make docs", "make kpis"}
SERVES = re.compile(r"(docs-serve|docs serve)")


def fenced_blocks() -> list[list[str]]:
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    commands = []
    for block in blocks:
        lines = [line.split("  #")[0].strip() for line in block.strip().splitlines()]
        commands.append([line for line in lines if line and not line.startswith("#")])
    return commands


def inline_commands() -> list[str]:
    prose = re.sub(r"```.*?```", "", README, flags=re.S)
    spans = {" ".join(span.split()) for span in re.findall(r"`([^`]+)`", prose)}
    return sorted(
        span
        for span in spans
        # a command, not a tool named in a sentence ("`campaign-analytics dbt ...`") nor a
        # usage line with placeholders ("--advertiser-id N [--role viewer|admin]")
        if re.match(r"(make|campaign-analytics) [a-z]", span)
        and "..." not in span
        and not re.search(r"[\[<]| N\b| ID\b", span)
        and span != "campaign-analytics dbt"
    )


def reason_not_run(command: str) -> str | None:
    if command in RUN_BY_DEMO:
        return "`make demo`, the module's fixture, runs this target"
    # a command, or a command with arguments: `make demo` is not `make demo-platforms`
    return next(
        (
            why
            for start, why in NOT_RUN.items()
            if command == start or command.startswith(f"{start} ")
        ),
        None,
    )


@pytest.fixture(scope="module")
def demo(make_database, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data_dir = tmp_path_factory.mktemp("readme")
    env = os.environ | {
        "TZ": "UTC",
        "CA_DATA_DIR": str(data_dir),
        "POSTGRES_DSN": make_database(),
        "CHDB_PATH": str(data_dir / "chdb"),
    }
    first = run("make demo", env)
    assert "KPI report" in first.stdout and "generated:" in first.stdout
    return env | {"FIRST_DEMO": first.stdout}


def run(script: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    """``script`` in bash from the repository's root, as a user who followed the README:
    the environment is activated for the inline `campaign-analytics ...` commands."""
    env = env | {"PATH": f"{REPO_ROOT / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"}
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"{script}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_and_fetch(command: str, env: dict[str, str], prelude: str) -> None:
    """Start a docs server the README shows, fetch its page, stop it.

    The port is the one free thing the test picks (the README's 8080 or 8081 may be taken on
    a shared machine): `--port N` is replaced, and make's DOCS_PORT is set.
    """
    port = free_port()
    command = re.sub(r"--port \d+", f"--port {port}", command)
    process = subprocess.Popen(
        ["bash", "-c", f"{prelude}\n{command}"],
        cwd=REPO_ROOT,
        env=env | {"DOCS_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    assert page.status == 200 and b"dbt" in page.read()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, f"{command} did not serve on :{port}"
                time.sleep(0.5)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_after_make_demo_nothing_is_new_and_the_numbers_stay(demo) -> None:
    """What `make demo` run again does, step by step, without paying for a second build."""
    assert "source already has data" in run("make seed", demo).stdout
    assert "nothing new" in run("make load", demo).stdout
    # the header names the build the report read; the tables below it are the same
    first, again = (
        text.split("KPI report", 1)[1].split("\n", 1)[1]
        for text in (demo["FIRST_DEMO"], run("make kpis", demo).stdout)
    )
    assert first == again


@pytest.mark.parametrize("block", fenced_blocks(), ids=lambda block: block[0][:40])
def test_readme_block_runs_as_pasted(demo, block: list[str]) -> None:
    why = reason_not_run(block[0])
    if why:
        pytest.skip(why)
    if any("$CA_API" in line for line in block):
        api_session(block, demo)
        return
    runnable = [line for line in block if not reason_not_run(line)]
    serving = [line for line in runnable if SERVES.search(line)]
    sequential = [line for line in runnable if line not in serving]
    prelude = "\n".join(line for line in sequential if line.startswith("source "))
    run("\n".join(sequential), demo)
    for line in serving:
        serve_and_fetch(line, demo, prelude)


def api_session(block: list[str], env: dict[str, str]) -> None:
    """`make serve`, then the README's curl lines with the `export` line it printed."""
    port = free_port()
    process = subprocess.Popen(
        ["bash", "-c", "make serve"],
        cwd=REPO_ROOT,
        env=env | {"CA_API_PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        exports = ""
        for line in process.stdout:  # make's steps, then the line to paste
            if line.startswith("export CA_API="):
                exports = line.strip()
                break
        assert exports, process.stderr.read() if process.stderr else "make serve printed no key"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as page:
                    if page.status == 200:
                        break
            except OSError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "the API never got ready"
            time.sleep(0.3)
        for line in block:
            answer = run(f"{exports}\n{line}", env).stdout
            assert answer.strip(), line
            if '/metrics"' not in line:  # JSON answers, none of them an error
                assert '"detail"' not in answer, (line, answer[:500])
        # meanwhile the embedded engines are the server's: a load says whose, in one line
        load = subprocess.run(
            ["make", "--no-print-directory", "load"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert load.returncode != 0
        assert "owns the embedded engines" in load.stderr and "/v1/admin/refresh" in load.stderr
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


@pytest.mark.parametrize("command", inline_commands())
def test_readme_inline_command_runs_as_pasted(demo, command: str) -> None:
    why = reason_not_run(command)
    if why:
        pytest.skip(why)
    if SERVES.search(command):
        serve_and_fetch(command, demo, "")
        return
    result = run(command, demo)
    if command.startswith("campaign-analytics kpis"):
        assert "no data for these filters" not in result.stdout, result.stdout


def test_the_lineage_links_open_their_models_own_lineage() -> None:
    links = re.findall(r"#!/model/model\.campaign_analytics\.(\w+)\?g_v=1&g_i=([^)\s]+)", README)
    assert links
    for model, selector in links:
        assert selector == f"%2B{model}%2B", (model, selector)
    assert Path(REPO_ROOT / "dbt_project" / "models").glob(f"**/{links[0][0]}.sql")
