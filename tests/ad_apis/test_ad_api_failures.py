"""Faults that must end a platform's load loudly: one line naming the fix, nothing loaded.

Each test loads into raw databases of its own on the session's chDB directory, against the
module's fakes, and checks the message, how many requests were made (retries bounded by
dlt's ``request_max_attempts``, 5) and that no row reached ClickHouse. TikTok answers errors
with HTTP 200, so a load that ignored the body would "succeed" with no rows: the tests below
would catch exactly that.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from campaign_analytics.settings import REPO_ROOT, Settings, load_settings
from dlt_pipelines.ad_apis import run
from tests.ad_apis.conftest import DLT_CONFIG, END, platform_settings
from tests.fake_ad_apis import FakeAdApis, Fault
from tests.pipeline import clickhouse_rows


@pytest.fixture
def fake(fake_apis: FakeAdApis) -> Iterator[FakeAdApis]:
    fake_apis.reset()
    yield fake_apis
    fake_apis.reset()


@pytest.fixture
def settings(fake: FakeAdApis, session_dir: Path) -> Settings:
    return platform_settings(session_dir, fake)


def loaded_rows(settings: Settings, platform: str) -> int:
    exists = clickhouse_rows(
        settings,
        f"select count() from system.tables where database = '{settings.raw_database}' "
        f"and name = '{platform}__ad_report'",
    )[0][0]
    if not exists:
        return 0
    return clickhouse_rows(
        settings, f"select count() from {settings.raw_database}.{platform}__ad_report"
    )[0][0]


def failed_load(settings: Settings, platform: str) -> str:
    (result,) = run.run(settings, platforms=[platform], end_date=END)
    assert result.error is not None, f"{platform} loaded {result.rows} rows instead of failing"
    assert "\n" not in result.error
    assert loaded_rows(settings, platform) == 0, "a failed load must not write rows"
    return result.error


def test_meta_expired_token_fails_at_once(fake: FakeAdApis, settings: Settings) -> None:
    fake.inject(Fault("meta_ads", "meta_token", times=None))
    error = failed_load(settings, "meta_ads")
    assert "rejected the access token" in error
    assert "error code 190" in error
    assert "META_ADS_ACCESS_TOKEN" in error
    assert len(fake.recorded("meta_ads")) == 1, "a rejected token is not retried"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("tiktok_token", ["rejected the access token", "code 40102", "TIKTOK_ADS_ACCESS_TOKEN"]),
        ("tiktok_error", ["refused the request", "code 40002", "TIKTOK_ADS_ACCOUNT_IDS"]),
        ("no_data", ["unexpected page", "code 0 without data.list"]),
        ("bad_body", ["answered HTTP 200", "Down for maintenance"]),
    ],
)
def test_tiktok_http_200_errors_never_load_as_empty(
    fake: FakeAdApis, settings: Settings, kind: str, expected: list[str]
) -> None:
    # the first page is fine, the second is the error: the first page is not loaded either
    fake.inject(Fault("tiktok_ads", kind, at=2, times=None))
    error = failed_load(settings, "tiktok_ads")
    for fragment in expected:
        assert fragment in error
    assert [r.status for r in fake.recorded("tiktok_ads")] == [200, 200]


@pytest.mark.parametrize("platform", ["meta_ads", "google_ads", "linkedin_ads"])
def test_a_page_without_its_list_fails_the_load(
    fake: FakeAdApis, settings: Settings, platform: str
) -> None:
    fake.inject(Fault(platform, "no_data", times=None))
    assert "unexpected page" in failed_load(settings, platform)


def test_throttling_is_retried_a_bounded_number_of_times(
    fake: FakeAdApis, settings: Settings
) -> None:
    fake.inject(Fault("tiktok_ads", "tiktok_throttle", times=None))
    error = failed_load(settings, "tiktok_ads")
    assert "kept throttling" in error
    assert "code 40100" in error
    assert len(fake.recorded("tiktok_ads")) == 5, "dlt's request_max_attempts"


def test_a_server_that_keeps_failing_is_given_up_on(fake: FakeAdApis, settings: Settings) -> None:
    fake.inject(Fault("meta_ads", "server_error", times=None))
    error = failed_load(settings, "meta_ads")
    assert "answered HTTP 503" in error
    assert len(fake.recorded("meta_ads")) == 5


def test_google_refreshes_once_then_names_the_credentials(
    fake: FakeAdApis, settings: Settings
) -> None:
    # from the second request on, every token expires: one refresh, then a clear failure
    fake.inject(Fault("google_ads", "token_expired", at=2, times=None))
    error = failed_load(settings, "google_ads")
    assert "rejected the access token even after a refresh" in error
    assert "GOOGLE_ADS_REFRESH_TOKEN" in error
    assert len(fake.recorded("google_ads", "token")) == 2, "the first token and one refresh"
    assert [r.status for r in fake.recorded("google_ads")] == [200, 401, 401]


def test_a_refused_refresh_token_fails_before_any_report_request(
    fake: FakeAdApis, settings: Settings
) -> None:
    fake.inject(Fault("google_ads", "refresh_rejected", times=None))
    error = failed_load(settings, "google_ads")
    assert "refused the refresh token" in error
    assert "GOOGLE_ADS_REFRESH_TOKEN" in error
    assert fake.recorded("google_ads") == []


def test_an_unreachable_api_names_its_base_url(fake: FakeAdApis, session_dir: Path) -> None:
    settings = platform_settings(session_dir, fake, LINKEDIN_ADS_BASE_URL="http://127.0.0.1:9")
    error = failed_load(settings, "linkedin_ads")
    assert "cannot reach http://127.0.0.1:9" in error
    assert "LINKEDIN_ADS_BASE_URL" in error


def test_one_failing_platform_leaves_the_others_loaded(
    fake: FakeAdApis, settings: Settings
) -> None:
    fake.inject(Fault("meta_ads", "meta_token", times=None))
    with pytest.raises(run.PlatformLoadError) as raised:
        run.run_and_report(
            settings,
            full_refresh=False,
            console=Console(quiet=True),
            platforms=["meta_ads", "tiktok_ads"],
            end_date=END,
        )
    message = str(raised.value)
    assert message.startswith("meta_ads: Meta Marketing API rejected the access token")
    assert "nothing was loaded for meta_ads" in message
    assert loaded_rows(settings, "tiktok_ads") == fake.data["tiktok_ads"].totals().rows
    # fixed, the next run loads the platform completely
    fake.reset()
    (result,) = run.run(settings, platforms=["meta_ads"], end_date=END)
    assert result.error is None
    assert loaded_rows(settings, "meta_ads") == fake.data["meta_ads"].totals().rows


def test_a_range_with_no_data_is_a_successful_empty_load(
    fake: FakeAdApis, settings: Settings
) -> None:
    """The fakes hold no day before FIRST: a real empty answer loads nothing, and says so."""
    (result,) = run.run(settings, platforms=["meta_ads"], end_date=dt.date(2026, 1, 1))
    assert result.error is None
    assert result.rows == 0
    assert [r.status for r in fake.recorded("meta_ads")] == [200, 200]


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("campaign-analytics")
    return subprocess.run(
        [str(exe), *args],
        env={k: v for k, v in os.environ.items() if not k.endswith("_ACCOUNT_IDS")} | env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
    )


def test_cli_load_platforms_fails_in_one_line(fake: FakeAdApis, tmp_path: Path) -> None:
    """The whole path of `campaign-analytics load --platforms`, in a process of its own."""
    fake.inject(Fault("tiktok_ads", "tiktok_token", times=None))
    env = {
        "TZ": "UTC",
        "CA_DATA_DIR": str(tmp_path),
        "CHDB_PATH": str(tmp_path / "chdb"),
        **DLT_CONFIG,
        **fake.env(["tiktok_ads"]),
    }
    result = cli("load", "--platforms", env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: tiktok_ads: TikTok API for Business rejected")
    assert "Traceback" not in result.stdout + result.stderr
    assert "FAILED" in result.stdout  # the summary table still shows every platform


def test_loading_with_no_platform_configured_says_what_to_set(session_dir: Path) -> None:
    settings = load_settings({"CA_DATA_DIR": str(session_dir / "no_platforms")})
    with pytest.raises(run.PlatformLoadError) as raised:
        run.run(settings)
    message = str(raised.value)
    assert message.startswith("no ad platform is configured: set at least one of")
    assert "META_ADS_ACCOUNT_IDS" in message
    assert "make demo-platforms" in message


def test_full_refresh_reloads_a_platform_from_its_first_day(
    fake: FakeAdApis, settings: Settings
) -> None:
    """`load --platforms --full-refresh` drops the raw table and the state, then reads all."""
    (result,) = run.run(settings, platforms=["meta_ads"], end_date=END)
    assert result.error is None
    fake.reset()
    (result,) = run.run(settings, platforms=["meta_ads"], end_date=END, full_refresh=True)
    expected = fake.data["meta_ads"].totals().rows
    assert result.rows == expected == loaded_rows(settings, "meta_ads")
    first_days = {r.query["time_range[since]"] for r in fake.recorded("meta_ads")}
    assert first_days == {str(fake.data["meta_ads"].first_day)}
