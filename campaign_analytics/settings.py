"""The one place that says where the data lives.

Every entry point reads :func:`get_settings`: the seed_generator CLI, the dlt pipeline, the
project CLI (which hands dbt its environment through :meth:`Settings.dbt_env`) and the tests.
The ``embedded`` and ``server`` targets differ here, in configuration only.

Everything comes from environment variables (listed in ``.env.example``); the defaults run
the embedded target from ``.data/`` in the repository.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Literal

import chdb_engine
import psycopg

from campaign_analytics.errors import UserFacingError

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DLT_PROJECT_DIR = REPO_ROOT / "dlt_pipelines"

Target = Literal["embedded", "server"]
TARGETS: tuple[Target, ...] = ("embedded", "server")


class SettingsError(UserFacingError, ValueError):
    """A setting is missing or malformed; the message names the variable and the fix."""


@dataclass(frozen=True)
class ClickHouseServer:
    host: str
    port: int
    http_port: int
    user: str
    password: str = field(repr=False)
    secure: bool


# --- Ad-platform reporting APIs (dlt_pipelines/ad_apis) ---------------------------------------
# Per platform: the production base URL, and the source arguments read from the environment as
# <PLATFORM>_<ARGUMENT> (META_ADS_ACCESS_TOKEN, ...). An argument left unset there is resolved
# by dlt from .dlt/secrets.toml or SOURCES__<PLATFORM>__<ARGUMENT>.
AD_PLATFORM_APIS: dict[str, tuple[str, tuple[str, ...]]] = {
    "meta_ads": ("https://graph.facebook.com", ("access_token",)),
    "google_ads": (
        "https://googleads.googleapis.com",
        (
            "developer_token",
            "login_customer_id",
            "client_id",
            "client_secret",
            "refresh_token",
            "token_url",
        ),
    ),
    "tiktok_ads": ("https://business-api.tiktok.com", ("access_token",)),
    "linkedin_ads": (
        "https://api.linkedin.com",
        ("access_token", "client_id", "client_secret", "refresh_token", "token_url"),
    ),
}


@dataclass(frozen=True)
class AdPlatformApi:
    """One ad platform's reporting API; it is loaded when it has account ids."""

    platform: str
    base_url: str
    account_ids: tuple[str, ...]
    # source arguments set in the environment (tokens among them): never printed
    arguments: dict[str, str] = field(repr=False, default_factory=dict)

    def env_name(self, argument: str) -> str:
        return f"{self.platform.upper()}_{argument.upper()}"


@dataclass(frozen=True)
class ServiceSettings:
    """`campaign-analytics serve`: the insights API (campaign_analytics/service)."""

    host: str = "127.0.0.1"
    port: int = 8000
    # JWTs: HS256 with a shared secret and/or RS256 with a public key (PEM text or a file);
    # exp, aud and iss are required and checked
    jwt_secret: str | None = field(default=None, repr=False)
    jwt_public_key: str | None = field(default=None, repr=False)
    jwt_audience: str = "campaign-analytics"
    jwt_issuer: str | None = None
    # per token, `limits` syntax ("600/minute", "20/second;600/minute")
    rate_limit: str = "600/minute"
    tenant_concurrency: int = 4
    query_timeout_seconds: float = 10.0
    cache_ttl_seconds: float = 300.0
    # a verified API key is trusted this long before PostgreSQL is asked again (revocation)
    api_key_cache_seconds: float = 5.0
    redis_url: str | None = field(default=None, repr=False)
    refresh_every_seconds: float = 60.0
    # a refresh loads the events every time and the entities every this many refreshes
    entities_every: int = 10
    # a refresh with changes builds what they feed with the hot tier of tests and a 1/this
    # slice of the others, so this many builds run every test between them (the first
    # build and the admin refresh run them all)
    full_tests_every: int = 30
    # with live marts on, the loads reach the API through the live marts' refresh after
    # each load, and dbt builds (the dims, the other days, the tests) at most this often;
    # without them a refresh with changes builds every time
    build_every_seconds: float = 30.0
    version_poll_seconds: float = 2.0
    # the server target reads with this (read-only) user when set; the loader's otherwise
    reader_user: str | None = None
    reader_password: str = field(default="", repr=False)


@dataclass(frozen=True)
class Settings:
    target: Target
    data_dir: Path
    # None means: start (or reuse) the embedded PostgreSQL under data_dir.
    postgres_dsn: str | None = field(repr=False)
    postgres_database: str
    chdb_path: Path
    # seconds a command waits for another process to release the chDB directory (or the
    # dlt pipeline's working directory) before it fails naming that process
    lock_wait_seconds: float
    clickhouse: ClickHouseServer
    raw_database: str
    analytics_database: str
    source_name: str
    # DBT_TARGET_PATH, dbt's own variable; None: dbt_project/target
    dbt_target_dir: Path | None = None
    ad_platform_apis: tuple[AdPlatformApi, ...] = ()
    service: ServiceSettings = field(default_factory=ServiceSettings)
    # CA_LIVE_MARTS: dbt builds the live marts (refreshable views for the days live events
    # land on) and publishes them with each build; None: off, except in a `serve` that
    # refreshes the warehouse itself (service/refresh.py)
    live_marts: bool | None = None

    @property
    def embedded_postgres_dir(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def dlt_pipelines_dir(self) -> Path:
        return self.data_dir / "dlt"

    @property
    def dbt_target_path(self) -> Path:
        """dbt's artifacts (manifest.json: the metric catalog readers compile against)."""
        return self.dbt_target_dir or DBT_PROJECT_DIR / "target"

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    def ensure_data_dir(self) -> Path:
        """Create the data directory, or fail in one line when it cannot be written."""
        probe = self.data_dir / ".write-probe"
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            probe.touch()
            probe.unlink()
        except OSError as error:
            raise SettingsError(
                f"CA_DATA_DIR={self.data_dir} is not a writable directory "
                f"({error.strerror or error}); set CA_DATA_DIR to a directory you can write"
            ) from None
        return self.data_dir

    def dbt_env(self) -> dict[str, str]:
        """Environment for a dbt process; profiles.yml and sources read exactly these names."""
        env = {
            "TZ": "UTC",
            "CA_TARGET": self.target,
            "CHDB_PATH": str(self.chdb_path),
            "CLICKHOUSE_DATABASE": self.analytics_database,
            "CLICKHOUSE_RAW_DATABASE": self.raw_database,
            "CHDB_LOCK_WAIT_SECONDS": f"{self.lock_wait_seconds:g}",
            "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
            "DBT_TARGET_PATH": str(self.dbt_target_path),
            "CA_LIVE_MARTS": "true" if self.live_marts else "false",
        }
        if self.target == "server":
            env |= {
                "CLICKHOUSE_HOST": self.clickhouse.host,
                "CLICKHOUSE_HTTP_PORT": str(self.clickhouse.http_port),
                "CLICKHOUSE_USER": self.clickhouse.user,
                "CLICKHOUSE_PASSWORD": self.clickhouse.password,
                "CLICKHOUSE_SECURE": str(self.clickhouse.secure).lower(),
            }
        return env


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a port number; set it to an integer") from None
    if not 0 < value < 65536:
        raise SettingsError(f"{name}={value} is outside 1..65535; set a valid port")
    return value


def _identifier(env: dict[str, str], name: str, default: str) -> str:
    value = env.get(name, default)
    if not value.replace("_", "").isalnum() or value[0].isdigit():
        raise SettingsError(f"{name}={value!r} is not a plain identifier; use letters, digits, _")
    if value == "default":
        raise SettingsError(
            f"{name}=default: chDB's `default` database is not Atomic; pick another"
        )
    return value


def _postgres_dsn(env: dict[str, str]) -> str | None:
    dsn = env.get("POSTGRES_DSN") or None
    if dsn is None:
        return None
    try:
        psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        # the DSN may hold a password: name the variable, not its value
        raise SettingsError(
            "POSTGRES_DSN is not a PostgreSQL connection string; use "
            "postgresql://<user>:<password>@<host>:5432/<database> (or unset it for the "
            "embedded server)"
        ) from None
    return dsn


def _lock_wait_seconds(env: dict[str, str]) -> float:
    try:
        return chdb_engine.parse_lock_wait_seconds(
            env.get("CHDB_LOCK_WAIT_SECONDS", str(chdb_engine.DEFAULT_LOCK_WAIT_SECONDS))
        )
    except chdb_engine.LockWaitSettingError as error:
        raise SettingsError(str(error)) from None


def _ad_platform_apis(env: dict[str, str]) -> tuple[AdPlatformApi, ...]:
    apis = []
    for platform, (default_url, arguments) in AD_PLATFORM_APIS.items():
        prefix = platform.upper()
        base_url = env.get(f"{prefix}_BASE_URL") or default_url
        if not base_url.startswith(("http://", "https://")):
            raise SettingsError(f"{prefix}_BASE_URL={base_url!r} is not an http(s) URL")
        raw_ids = env.get(f"{prefix}_ACCOUNT_IDS", "")
        # accept the forms the platforms' UIs show: act_123 (Meta), 123-456-7890 (Google)
        ids = tuple(
            part.strip().removeprefix("act_").replace("-", "")
            for part in raw_ids.split(",")
            if part.strip()
        )
        if not all(account.isdigit() for account in ids):
            raise SettingsError(
                f"{prefix}_ACCOUNT_IDS={raw_ids!r} is not a comma-separated list of numeric "
                "account ids"
            )
        values = {
            a: env[f"{prefix}_{a.upper()}"] for a in arguments if env.get(f"{prefix}_{a.upper()}")
        }
        apis.append(AdPlatformApi(platform, base_url.rstrip("/"), ids, values))
    return tuple(apis)


def _positive(env: dict[str, str], name: str, default: float, *, zero: bool = False) -> float:
    """A positive number of ``name`` (or 0 when ``zero`` allows it)."""
    raw = env.get(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not (value >= 0 if zero else value > 0) or value == float("inf"):
        what = "a number >= 0" if zero else "a positive number"
        raise SettingsError(f"{name}={raw!r} is not {what}; set e.g. {default:g}")
    return value


def _whole(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default))
    if not raw.strip().isdigit() or int(raw) < 1:
        raise SettingsError(f"{name}={raw!r} is not a whole number >= 1; set e.g. {default}")
    return int(raw)


def _switch(env: dict[str, str], name: str) -> bool | None:
    """An on/off setting; None when it is not set."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return None
    if raw not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
        raise SettingsError(f"{name}={env[name]!r} is not on or off; set it to true or false")
    return raw in {"1", "true", "yes", "on"}


def _service(env: dict[str, str]) -> ServiceSettings:
    public_key = env.get("CA_JWT_PUBLIC_KEY") or None
    if public_key and "BEGIN" not in public_key:
        try:
            public_key = Path(public_key).expanduser().read_text()
        except OSError as error:
            raise SettingsError(
                f"CA_JWT_PUBLIC_KEY={public_key!r} is neither a PEM key nor a readable file "
                f"({error.strerror}); give the key or its path"
            ) from None
    if (env.get("CA_JWT_SECRET") or public_key) and not env.get("CA_JWT_ISSUER"):
        raise SettingsError(
            "CA_JWT_SECRET/CA_JWT_PUBLIC_KEY need CA_JWT_ISSUER: a JWT's iss is always checked"
        )
    rate_limit = env.get("CA_RATE_LIMIT", "600/minute")
    try:
        from limits import parse_many

        parse_many(rate_limit)
    except ValueError:
        raise SettingsError(
            f"CA_RATE_LIMIT={rate_limit!r} is not a rate; use e.g. 600/minute or 20/second"
        ) from None
    return ServiceSettings(
        host=env.get("CA_API_HOST", "127.0.0.1"),
        port=_int(env, "CA_API_PORT", 8000),
        jwt_secret=env.get("CA_JWT_SECRET") or None,
        jwt_public_key=public_key,
        jwt_audience=env.get("CA_JWT_AUDIENCE", "campaign-analytics"),
        jwt_issuer=env.get("CA_JWT_ISSUER") or None,
        rate_limit=rate_limit,
        tenant_concurrency=int(_positive(env, "CA_TENANT_CONCURRENCY", 4)),
        query_timeout_seconds=_positive(env, "CA_QUERY_TIMEOUT_SECONDS", 10),
        cache_ttl_seconds=_positive(env, "CA_CACHE_TTL_SECONDS", 300),
        api_key_cache_seconds=float(env.get("CA_API_KEY_CACHE_SECONDS", "5") or 0),
        redis_url=env.get("REDIS_URL") or None,
        refresh_every_seconds=_positive(env, "CA_REFRESH_EVERY_SECONDS", 60),
        entities_every=_whole(env, "CA_ENTITIES_EVERY", 10),
        full_tests_every=_whole(env, "CA_FULL_TESTS_EVERY", 30),
        build_every_seconds=_positive(env, "CA_BUILD_EVERY_SECONDS", 30, zero=True),
        version_poll_seconds=_positive(env, "CA_VERSION_POLL_SECONDS", 2),
        reader_user=env.get("CLICKHOUSE_READER_USER") or None,
        reader_password=env.get("CLICKHOUSE_READER_PASSWORD", ""),
    )


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from ``environ`` (default: the process environment)."""
    env = dict(os.environ if environ is None else environ)
    target = env.get("CA_TARGET", "embedded")
    if target not in TARGETS:
        raise SettingsError(
            f"CA_TARGET={target!r} is not a target; use one of {', '.join(TARGETS)}"
        )
    data_dir = Path(env.get("CA_DATA_DIR", REPO_ROOT / ".data")).expanduser().resolve()
    dsn = _postgres_dsn(env)
    if target == "server" and dsn is None:
        raise SettingsError(
            "CA_TARGET=server needs POSTGRES_DSN (e.g. postgresql://user:pass@localhost:5432/ads); "
            "see .env.example"
        )
    raw_database = _identifier(env, "CLICKHOUSE_RAW_DATABASE", "raw")
    analytics_database = _identifier(env, "CLICKHOUSE_DATABASE", "analytics")
    if raw_database == analytics_database:
        raise SettingsError(
            "CLICKHOUSE_RAW_DATABASE and CLICKHOUSE_DATABASE are both "
            f"{raw_database!r}; dlt and dbt need separate databases"
        )
    return Settings(
        target=target,  # type: ignore[arg-type]
        data_dir=data_dir,
        postgres_dsn=dsn,
        postgres_database=_identifier(env, "POSTGRES_DATABASE", "ads"),
        chdb_path=Path(env.get("CHDB_PATH", data_dir / "chdb")).expanduser().resolve(),
        lock_wait_seconds=_lock_wait_seconds(env),
        clickhouse=ClickHouseServer(
            host=env.get("CLICKHOUSE_HOST", "localhost"),
            port=_int(env, "CLICKHOUSE_PORT", 9000),
            http_port=_int(env, "CLICKHOUSE_HTTP_PORT", 8123),
            user=env.get("CLICKHOUSE_USER", "default"),
            password=env.get("CLICKHOUSE_PASSWORD", ""),
            secure=env.get("CLICKHOUSE_SECURE", "false").lower() in {"1", "true", "yes"},
        ),
        raw_database=raw_database,
        analytics_database=analytics_database,
        source_name="ad_platform",
        dbt_target_dir=(
            Path(env["DBT_TARGET_PATH"]).expanduser().resolve()
            if env.get("DBT_TARGET_PATH")
            else None
        ),
        ad_platform_apis=_ad_platform_apis(env),
        service=_service(env),
        live_marts=_switch(env, "CA_LIVE_MARTS"),
    )


@cache
def get_settings() -> Settings:
    return load_settings()
