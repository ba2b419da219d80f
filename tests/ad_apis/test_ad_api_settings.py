"""The ad-platform settings: every variable documented, bad values refused in one line."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from campaign_analytics.settings import (
    AD_PLATFORM_APIS,
    REPO_ROOT,
    SettingsError,
    load_settings,
)
from dlt_pipelines.ad_apis.paginators import date_windows

ENV_LINE = re.compile(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def test_env_example_lists_every_ad_platform_variable() -> None:
    listed = set(ENV_LINE.findall((REPO_ROOT / ".env.example").read_text()))
    expected = {
        f"{platform.upper()}_{name.upper()}"
        for platform, (_, arguments) in AD_PLATFORM_APIS.items()
        for name in ("base_url", "account_ids", *arguments)
    }
    assert expected - listed == set()


def test_account_ids_accept_the_forms_the_platforms_show() -> None:
    settings = load_settings(
        {"META_ADS_ACCOUNT_IDS": "act_123, 456", "GOOGLE_ADS_ACCOUNT_IDS": "123-456-7890"}
    )
    apis = {api.platform: api for api in settings.ad_platform_apis}
    assert apis["meta_ads"].account_ids == ("123", "456")
    assert apis["google_ads"].account_ids == ("1234567890",)
    assert apis["tiktok_ads"].account_ids == ()
    assert apis["linkedin_ads"].base_url == "https://api.linkedin.com"


def test_credentials_are_kept_out_of_repr() -> None:
    settings = load_settings({"META_ADS_ACCOUNT_IDS": "1", "META_ADS_ACCESS_TOKEN": "s3cr3t"})
    meta = next(api for api in settings.ad_platform_apis if api.platform == "meta_ads")
    assert meta.arguments == {"access_token": "s3cr3t"}
    assert "s3cr3t" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TIKTOK_ADS_ACCOUNT_IDS": "12,abc"}, "TIKTOK_ADS_ACCOUNT_IDS='12,abc' is not"),
        ({"META_ADS_BASE_URL": "graph.facebook.com"}, "META_ADS_BASE_URL='graph.facebook.com'"),
    ],
)
def test_bad_values_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings(env)


def test_date_windows_cover_the_range_once() -> None:
    start, end = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
    windows = date_windows(start, end, 30)
    assert windows == [(start, dt.date(2026, 11, 30)), (end, end)]
    assert date_windows(start, start, 30) == [(start, start)]


def test_a_missing_credential_names_both_places_to_set_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dlt_pipelines.ad_apis import run

    monkeypatch.delenv("SOURCES__META_ADS__ACCESS_TOKEN", raising=False)
    settings = load_settings({"META_ADS_ACCOUNT_IDS": "1"})
    (meta,) = run.configured(settings)
    with pytest.raises(run.PlatformLoadError) as raised:
        run.source(meta, None)
    assert str(raised.value) == (
        "missing META_ADS_ACCESS_TOKEN (or sources.meta_ads.access_token in "
        "dlt_pipelines/.dlt/secrets.toml); see .env.example"
    )
