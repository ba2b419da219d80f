"""Who is asking: API keys (hashed in PostgreSQL) and JWTs (HS256 or RS256).

The tenant, an advertiser id, comes from the verified token only: from the key's row, or
from the JWT's `advertiser_id` claim. A viewer sees its advertiser; an admin may name
another one (the routes read `advertiser_id` from the request only for admins).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Literal

import jwt
import psycopg
from cachetools import TTLCache

from campaign_analytics.errors import UserFacingError
from campaign_analytics.settings import ServiceSettings

Role = Literal["viewer", "admin"]
KEY_PREFIX = "ca_"
ROLES: tuple[Role, ...] = ("viewer", "admin")


class ApiKeyError(UserFacingError):
    """An API key command cannot be done; the message says why."""


class UnauthorizedError(Exception):
    """No valid token: 401 with WWW-Authenticate."""


@dataclass(frozen=True)
class Principal:
    """A verified caller."""

    subject: str  # key:<id> or jwt:<sub>, the rate-limit identity
    advertiser_id: int
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def key_hash(key: str) -> bytes:
    # keys carry 256 random bits: a plain SHA-256 cannot be brute-forced, and lookups by it
    # are one index probe
    return hashlib.sha256(key.encode()).digest()


# -- API keys in PostgreSQL --------------------------------------------------------------------


@dataclass(frozen=True)
class ApiKey:
    id: int
    prefix: str
    advertiser_id: int
    role: Role
    name: str | None
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


def create_key(
    conn: psycopg.Connection,
    *,
    advertiser_id: int,
    role: Role = "viewer",
    expires_in: dt.timedelta | None = None,
    name: str | None = None,
) -> tuple[str, ApiKey]:
    """A new key for ``advertiser_id``: returns the key (shown once) and its stored row."""
    if role not in ROLES:
        raise ApiKeyError(f"role {role!r} is not one of {', '.join(ROLES)}")
    exists = conn.execute("select 1 from advertisers where id = %s", (advertiser_id,)).fetchone()
    if not exists:
        raise ApiKeyError(f"advertiser {advertiser_id} does not exist in the source database")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    expires_at = dt.datetime.now(dt.UTC) + expires_in if expires_in else None
    row = conn.execute(
        "insert into api_keys (prefix, key_hash, advertiser_id, role, name, expires_at) "
        "values (%s, %s, %s, %s, %s, %s) "
        "returning id, prefix, advertiser_id, role, name, created_at, expires_at, revoked_at",
        (key[:10], key_hash(key), advertiser_id, role, name, expires_at),
    ).fetchone()
    return key, ApiKey(*row)


def list_keys(conn: psycopg.Connection) -> list[ApiKey]:
    rows = conn.execute(
        "select id, prefix, advertiser_id, role, name, created_at, expires_at, revoked_at "
        "from api_keys order by id"
    ).fetchall()
    return [ApiKey(*row) for row in rows]


def revoke_key(conn: psycopg.Connection, key_id: int) -> ApiKey:
    row = conn.execute(
        "update api_keys set revoked_at = coalesce(revoked_at, now()) where id = %s "
        "returning id, prefix, advertiser_id, role, name, created_at, expires_at, revoked_at",
        (key_id,),
    ).fetchone()
    if row is None:
        raise ApiKeyError(f"no API key with id {key_id}; `campaign-analytics api-keys list`")
    return ApiKey(*row)


def parse_duration(text: str) -> dt.timedelta:
    """``30d``, ``12h``, ``90m`` -> a timedelta (the CLI's --expires)."""
    units = {"d": "days", "h": "hours", "m": "minutes"}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.isdigit() or int(number) <= 0:
        raise ApiKeyError(f"--expires {text!r} is not a duration; use e.g. 30d, 12h or 90m")
    return dt.timedelta(**{units[unit]: int(number)})


# -- verification -------------------------------------------------------------------------------


class Verifier:
    """Turns a bearer token into a Principal, or raises UnauthorizedError."""

    def __init__(self, service: ServiceSettings, connect: Any) -> None:
        self.service = service
        self.connect = connect  # () -> psycopg connection to the source database
        ttl = service.api_key_cache_seconds
        self._keys: TTLCache[bytes, Principal] | None = (
            TTLCache(maxsize=10_000, ttl=ttl) if ttl > 0 else None
        )
        self._algorithms = [
            algorithm
            for algorithm, key in (
                ("HS256", service.jwt_secret),
                ("RS256", service.jwt_public_key),
            )
            if key
        ]

    def known(self, token: str) -> Principal | None:
        """The caller when no I/O is needed to tell (a recently verified key, or a JWT, whose
        check is CPU only); None when PostgreSQL must be asked (call ``verify`` off the loop).
        Raises UnauthorizedError for a bad JWT or an unknown token kind."""
        if token.startswith(KEY_PREFIX):
            if self._keys is None:
                return None
            return self._keys.get(key_hash(token))
        return self.verify(token)

    def verify(self, token: str) -> Principal:
        if token.startswith(KEY_PREFIX):
            return self._api_key(token)
        if token.count(".") == 2 and self._algorithms:
            return self._jwt(token)
        raise UnauthorizedError("the bearer token is neither an API key nor a JWT this API accepts")

    def _api_key(self, token: str) -> Principal:
        digest = key_hash(token)
        if self._keys is not None and (cached := self._keys.get(digest)):
            return cached
        with self.connect() as conn:
            row = conn.execute(
                "select prefix, advertiser_id, role from api_keys where key_hash = %s "
                "and revoked_at is null and (expires_at is null or expires_at > now())",
                (digest,),
            ).fetchone()
        if row is None:
            raise UnauthorizedError("unknown, revoked or expired API key")
        principal = Principal(f"key:{row[0]}", int(row[1]), row[2])
        if self._keys is not None:
            self._keys[digest] = principal
        return principal

    def _jwt(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
            algorithm = header.get("alg")
            if algorithm not in self._algorithms:
                raise UnauthorizedError(f"JWT algorithm {algorithm!r} is not accepted")
            key = self.service.jwt_secret if algorithm == "HS256" else self.service.jwt_public_key
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.service.jwt_audience,
                issuer=self.service.jwt_issuer,
                options={"require": ["exp", "aud", "iss", "sub"]},
                leeway=5,
            )
        except jwt.PyJWTError as error:
            raise UnauthorizedError(f"invalid JWT: {error}") from None
        role = claims.get("role", "viewer")
        advertiser = claims.get("advertiser_id")
        if role not in ROLES or not isinstance(advertiser, int) or isinstance(advertiser, bool):
            raise UnauthorizedError(
                "the JWT needs an integer advertiser_id claim and a role of viewer or admin"
            )
        return Principal(f"jwt:{claims['sub']}", advertiser, role)
