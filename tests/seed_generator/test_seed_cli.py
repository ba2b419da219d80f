"""The ``seed-generator`` CLI: each command, and one-line errors that write nothing."""

from __future__ import annotations

import ast
import datetime as dt
import json
import subprocess
import sys

import psycopg
import pytest

from campaign_analytics.settings import REPO_ROOT, Settings
from seed_generator import generate_batch, streaming


@pytest.fixture
def seeded(conn: psycopg.Connection, today) -> psycopg.Connection:
    generate_batch(conn, advertisers=2, campaigns=5, impressions=2_000, seed=2, today=today)
    return conn


def _serving_campaign(conn: psycopg.Connection) -> int:
    row = conn.execute(
        "select campaign_id from impressions group by 1 order by count(*) desc limit 1"
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_batch(cli, counts) -> None:
    result = cli("batch", "--impressions", "3000", "--seed", "1", "--today", "2025-03-01")
    assert result.exit_code == 0, result.output
    assert "rows inserted" in result.stdout and "seed 1" in result.stdout
    assert counts()["impressions"] == 3000
    assert counts()["advertisers"] == 5 and counts()["campaigns"] == 20


def test_entity_commands(cli, counts) -> None:
    assert cli("advertisers", "--count", "2", "--seed", "1").exit_code == 0
    result = cli("campaigns", "--advertiser-id", "2", "--count", "3", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert "inserted 3 campaigns for advertiser 2 (ids 1..3)" in result.stdout
    assert counts()["campaigns"] == 3 and counts()["channels"] == 10


def test_event_commands(cli, seeded, counts) -> None:
    campaign = _serving_campaign(seeded)
    before = counts()
    result = cli("impressions", "--campaign-id", str(campaign), "--count", "400", "--seed", "3",
                 "--today", "2025-03-01")  # fmt: skip
    assert result.exit_code == 0, result.output
    result = cli("clicks", "--campaign-id", str(campaign), "--ratio", "0.1", "--seed", "3")
    assert result.exit_code == 0, result.output
    clicked = int(result.stdout.split()[1])
    result = cli("conversions", "--campaign-id", str(campaign), "--ratio", "1", "--seed", "3")
    assert result.exit_code == 0, result.output
    after = counts()
    assert after["impressions"] == before["impressions"] + 400
    assert after["clicks"] == before["clicks"] + clicked
    unconverted = seeded.execute(
        "select count(*) from clicks c join impressions i on i.id = c.impression_id"
        " where i.campaign_id = %s and not exists"
        " (select 1 from conversions v where v.click_id = c.id)",
        (campaign,),
    ).fetchone()
    assert unconverted == (0,)


def test_stats(cli, seeded) -> None:
    result = cli("stats")
    assert result.exit_code == 0, result.output
    for text in ("tables", "event times", "funnel by channel", "impressions", "2,000", "CTR"):
        assert text in result.stdout


def test_reset_asks_first(cli, seeded, counts) -> None:
    result = cli("reset", input="n\n")
    assert result.exit_code == 1
    assert "nothing was deleted" in result.stderr
    assert counts()["impressions"] == 2_000
    result = cli("reset", input="")  # no answer at all, e.g. not a terminal
    assert result.exit_code == 1 and counts()["impressions"] == 2_000
    assert cli("reset", input="y\n").exit_code == 0
    assert set(counts().values()) == {0}
    # identities restart: ids begin at 1 again
    assert cli("advertisers", "--count", "1").stdout.strip().endswith("(id 1)")
    assert cli("reset", "--yes").exit_code == 0


def test_stream(cli, conn, counts, monkeypatch, tmp_path) -> None:
    generate_batch(conn, advertisers=1, campaigns=4, impressions=100, seed=1)
    monkeypatch.setattr(streaming, "_UPDATE_CHANCE", 1.0)
    log = tmp_path / "commits.jsonl"
    started = dt.datetime.now(dt.UTC)
    result = cli("stream", "--rate", "300", "--duration", "1", "--interval", "0.5", "--seed", "1",
                 "--commit-log", str(log))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "streamed" in result.stdout and "campaign update" in result.stdout
    assert counts()["impressions"] > 100
    # one line per insert: when it committed, and its impressions per campaign
    ticks = [json.loads(line) for line in log.read_text().splitlines()]
    assert ticks and [t["tick"] for t in ticks] == list(range(1, len(ticks) + 1))
    assert sum(t["impressions"] for t in ticks) == counts()["impressions"] - 100
    for tick in ticks:
        assert started <= dt.datetime.fromisoformat(tick["committed_at"]) <= dt.datetime.now(dt.UTC)
        assert sum(tick["campaign_impressions"].values()) == tick["impressions"]
    per_campaign = dict(conn.execute(
        "select campaign_id::text, count(*) from impressions where id > 100 group by 1"
    ).fetchall())  # fmt: skip
    totals: dict[str, int] = {}
    for tick in ticks:
        for campaign, count in tick["campaign_impressions"].items():
            totals[campaign] = totals.get(campaign, 0) + count
    assert totals == per_campaign


def test_mutate(cli, seeded) -> None:
    result = cli("mutate", "--seed", "1", "--today", "2025-03-01", "--late-impressions", "20")
    assert result.exit_code == 0, result.output
    for kind in ("campaigns_updated", "late_impressions", "soft_deleted_campaigns",
                 "hard_deleted_impressions", "corrected_conversions"):  # fmt: skip
        assert kind in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["batch", "--ctr", "1.5"], 2, "--ctr must be between 0 and 1"),
        (["batch", "--impressions", "-5"], 2, "--impressions must not be negative"),
        (["batch", "--today", "yesterday"], 2, "--today must be a date"),
        (["advertisers", "--count", "-1"], 2, "--count must not be negative"),
        (["campaigns", "--advertiser-id", "42"], 2, "advertiser 42 does not exist"),
        (["impressions", "--campaign-id", "42"], 2, "campaign 42 does not exist"),
        (["clicks", "--campaign-id", "42", "--ratio", "0.5"], 2, "campaign 42 does not exist"),
        (["clicks", "--campaign-id", "1", "--ratio", "1.5"], 2, "--ratio must be between"),
        (["conversions", "--campaign-id", "1", "--ratio", "-1"], 2, "--ratio must be between"),
        (["clicks", "--campaign-id", "abc", "--ratio", "0.5"], 2, "'--campaign-id'"),
        (["clicks", "--ratio", "0.5"], 2, "Missing option '--campaign-id'"),
        (["stream", "--rate", "0"], 2, "--rate must be a positive number"),
        (["stream", "--rate", "inf"], 2, "--rate must be a positive number"),
        (["stream", "--interval", "inf"], 2, "--interval must be a positive number"),
        (["stream", "--duration", "nan"], 2, "--duration must be a finite number"),
        (["stream", "--duration", "inf"], 2, "leave it out to stream until Ctrl-C"),
        (["stream", "--rate", "1e9"], 2, "lower --rate or --interval"),
        (["stream", "--commit-log", "/proc/no/such.jsonl"], 2, "cannot write the commit log"),
        (["batch", "--days", "1000000"], 2, "--days must be between 1 and 3650"),
        (["campaigns", "--advertiser-id", "1", "--days", "1000000"], 2, "--days must be betw"),
        (["batch", "--today", "9999-12-31"], 2, "--today must be between 1970-01-01 and"),
        (["campaigns", "--advertiser-id", "1", "--today", "0001-01-01"], 2, "--today must be"),
        (["mutate", "--today", "9999-12-31"], 2, "--today must be between"),
        (["clicks", "--campaign-id", "1", "--ratio", "1", "--today", "9999-12-31"], 2, "--today"),
        (["mutate", "--updates", "-1"], 2, "--updates must not be negative"),
        (["teleport"], 2, "No such command"),
    ],
)
def test_bad_arguments_fail_in_one_line_and_write_nothing(
    cli, seeded, counts, args, code, message
) -> None:
    before = counts()
    result = cli(*args)
    assert result.exit_code == code, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert counts() == before


def _tables(settings: Settings) -> set[str]:
    assert settings.postgres_dsn
    with psycopg.connect(settings.postgres_dsn) as conn:
        rows = conn.execute(
            "select table_name from information_schema.tables where table_schema = 'public'"
        ).fetchall()
    return {name for (name,) in rows}


@pytest.mark.parametrize(
    "args",
    [
        ["batch", "--ctr", "1.5"],
        ["batch", "--days", "1000000"],
        ["batch", "--today", "9999-12-31"],
        ["advertisers", "--count", "-1"],
        ["campaigns", "--advertiser-id", "1", "--today", "nope"],
        ["campaigns", "--advertiser-id", "42"],  # found out in the database
        ["impressions", "--campaign-id", "42"],
        ["clicks", "--campaign-id", "42", "--ratio", "0.5"],
        ["stream", "--rate", "inf"],
        ["mutate", "--updates", "-1"],
    ],
)
def test_a_rejected_command_leaves_a_fresh_database_as_it_was(cli, settings, args) -> None:
    """Not even the schema: the migrations share the command's transaction."""
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert _tables(settings) == set()


def test_a_successful_command_migrates(cli, settings) -> None:
    assert cli("advertisers", "--count", "1", "--seed", "1").exit_code == 0
    assert "schema_migrations" in _tables(settings) and "impressions" in _tables(settings)


def test_clicks_and_conversions_refuse_a_deleted_campaign(cli, seeded, counts) -> None:
    campaign = _serving_campaign(seeded)
    seeded.execute("update campaigns set deleted_at = now() where id = %s", (campaign,))
    before = counts()
    for command in ("impressions", "clicks", "conversions"):
        extra = ["--count", "10"] if command == "impressions" else ["--ratio", "1"]
        result = cli(command, "--campaign-id", str(campaign), *extra, "--today", "2025-03-01")
        assert result.exit_code == 2, result.output
        assert result.stderr == f"error: campaign {campaign} is deleted\n"
    assert counts() == before


def test_stream_waits_while_no_campaign_is_running(cli, conn, counts) -> None:
    # every flight of a batch as of 2020 is long over
    generate_batch(conn, advertisers=1, campaigns=4, impressions=100, seed=1,
                   today=dt.date(2020, 1, 1))  # fmt: skip
    before = counts()
    result = cli("stream", "--rate", "300", "--duration", "0.8", "--interval", "0.2", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("no campaign is running today") == 1
    assert "+0 impressions +0 clicks +0 conversions" in result.stdout
    after = counts()
    for table in ("impressions", "clicks", "conversions"):
        assert after[table] == before[table]


def test_cli_uses_no_typer_internals() -> None:
    tree = ast.parse((REPO_ROOT / "seed_generator" / "cli.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not {name for name in imported if name and name.startswith("typer._")}


def test_runtime_errors_exit_1(cli, counts) -> None:
    result = cli("mutate", "--seed", "1")
    assert result.exit_code == 1
    assert result.stderr == "error: no live campaign to mutate; run `seed-generator batch` first\n"
    result = cli("stream", "--rate", "10", "--duration", "0.2", "--interval", "0.1")
    assert result.exit_code == 1 and result.stderr.startswith("error: no live campaign")
    assert set(counts().values()) == {0}


def test_unreachable_postgres(cli) -> None:
    cli.dsn = "postgresql://postgres@127.0.0.1:9/nowhere"
    result = cli("stats")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot connect to PostgreSQL")
    assert result.stderr.count("\n") == 1


def test_python_dash_m(settings) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "seed_generator", "advertisers", "--count", "-3"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={"POSTGRES_DSN": settings.postgres_dsn, "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == "error: --count must not be negative (got -3)\n"


def test_no_command_shows_the_help_and_no_error(cli) -> None:
    result = cli()
    assert result.exit_code == 2
    assert "Usage" in result.stdout and "batch" in result.stdout
    assert "error" not in result.stderr


def _next_ids(settings: Settings) -> dict[str, int]:
    assert settings.postgres_dsn
    with psycopg.connect(settings.postgres_dsn) as conn:
        return {
            table: conn.execute(
                "select pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')::regclass)",
                (table,),
            ).fetchone()[0]
            for table in ("advertisers", "campaigns", "impressions", "clicks", "conversions")
        }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["batch", "--impressions", "100000000000"], "--impressions 100000000000 is above"),
        (["batch", "--campaigns", "50000000"], "--campaigns 50000000 is above"),
        (["impressions", "--campaign-id", "1", "--count", "100000000000"], "--count 100000000000"),
    ],
)
def test_a_huge_count_is_refused_up_front_and_burns_no_ids(
    cli, seeded, settings, counts, args, message
) -> None:
    before, ids_before = counts(), _next_ids(settings)
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert message in result.stderr and "limit of" in result.stderr
    assert counts() == before
    assert _next_ids(settings) == ids_before
