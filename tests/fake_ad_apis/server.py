"""Local fakes of the four ad-platform reporting APIs, on one real HTTP server on 127.0.0.1.

Each platform lives under its own path prefix (``/meta``, ``/google``, ``/tiktok``,
``/linkedin``) and answers in that API's JSON shape, pagination, authentication and error
style: Meta's string numbers, ``paging.next`` and HTTP 400 ``error.code``; Google Ads' GAQL
body, ``nextPageToken``, proto3 JSON without zero fields and OAuth token endpoint; TikTok's
HTTP-200 ``code`` errors and page numbers; LinkedIn's Rest.li 2.0 query syntax. Requests that
break the API's rules get that API's error, so a client bug fails loudly here too.

Faults are injected per platform and per report request (:class:`Fault`); every request is
recorded (:class:`Recorded`) with its time, so tests assert parameters, bodies, headers and
the wait before a retry.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fake_ad_apis import google, linkedin, meta, tiktok
from tests.fake_ad_apis.data import PLATFORMS, Baseline, FakeData
from tests.fake_ad_apis.wire import (
    GOOGLE_DEVELOPER_TOKEN,
    GOOGLE_LOGIN_CUSTOMER_ID,
    LINKEDIN_TOKEN,
    META_TOKEN,
    OAUTH_CLIENTS,
    TIKTOK_TOKEN,
    Answer,
    Request,
)

PREFIXES = {"meta_ads": "meta", "google_ads": "google", "tiktok_ads": "tiktok"}
PREFIXES["linkedin_ads"] = "linkedin"
HANDLERS = {
    "meta_ads": meta.serve,
    "google_ads": google.serve,
    "tiktok_ads": tiktok.serve,
    "linkedin_ads": linkedin.serve,
}
DEFAULT_ACCOUNTS = {
    "meta_ads": ("1010001", "1010002"),
    "google_ads": ("2020001", "2020002"),
    "tiktok_ads": ("3030001", "3030002"),
    "linkedin_ads": ("4040001", "4040002"),
}

# fault kinds (Fault.kind) and what the fake answers instead of the page
FAULT_KINDS = (
    "rate_limit",  # HTTP 429 with Retry-After: Fault.retry_after seconds (every platform)
    "server_error",  # HTTP 503 with an HTML body (every platform)
    "bad_body",  # HTTP 200 with an HTML body (every platform)
    "no_data",  # HTTP 200, JSON without the page's list (TikTok: code 0 and data {})
    "short_page",  # a page of half the size, with a next page (Meta, Google)
    "meta_throttle",  # HTTP 400, error.code 17
    "meta_token",  # HTTP 400, error.code 190 (expired token)
    "tiktok_throttle",  # HTTP 200, code 40100
    "tiktok_token",  # HTTP 200, code 40102 (expired token)
    "tiktok_error",  # HTTP 200, code 40002 (a request error)
    "token_expired",  # OAuth platforms: the current access token stops working (HTTP 401)
    "refresh_rejected",  # OAuth token endpoint: HTTP 400 invalid_grant (counts token requests)
)


@dataclass(frozen=True)
class Fault:
    """Answer the platform's report requests number ``at`` .. ``at + times - 1`` with ``kind``.

    Requests are counted per platform from 1 (token requests separately, for
    ``refresh_rejected``); ``times=None`` keeps failing from ``at`` on.
    """

    platform: str
    kind: str
    at: int = 1
    times: int | None = 1
    retry_after: int = 1

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS or self.platform not in PLATFORMS:
            raise ValueError(f"unknown fault {self.platform}/{self.kind}")

    def applies(self, number: int) -> bool:
        return number >= self.at and (self.times is None or number < self.at + self.times)


@dataclass(frozen=True)
class Recorded:
    platform: str
    endpoint: str  # "report" or "token"
    method: str
    path: str
    raw_query: str
    headers: Mapping[str, str]
    body: Any
    status: int
    at: float  # time.monotonic() when the request arrived

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.raw_query).items()}


class FakeAdApis:
    """The four fakes on one server: ``with FakeAdApis(...) as fake: fake.env()``."""

    def __init__(
        self,
        *,
        first_day: dt.date,
        last_day: dt.date,
        seed: int = 14,
        accounts: Mapping[str, Sequence[str]] | None = None,
        empty_days: Sequence[dt.date] = (),
        google_page_size: int = 10_000,
        mean_impressions: int = 2000,
        baselines: Mapping[str, Mapping[dt.date, Baseline]] | None = None,
        port: int = 0,
    ) -> None:
        accounts = {**DEFAULT_ACCOUNTS, **(accounts or {})}
        self.data = {
            platform: FakeData(
                platform,
                seed,
                tuple(accounts[platform]),
                first_day,
                last_day,
                frozenset(empty_days),
                mean_impressions=mean_impressions,
                # a platform without a baseline draws its own numbers
                baseline=(baselines or {}).get(platform),
            )
            for platform in PLATFORMS
        }
        self.google_page_size = google_page_size
        self.faults: list[Fault] = []
        self.requests: list[Recorded] = []
        self.errors: list[Exception] = []  # exceptions raised by the fake itself
        self._counts: dict[tuple[str, str], int] = {}
        self._issued: dict[str, int] = dict.fromkeys(OAUTH_CLIENTS, 0)
        self._valid_tokens: dict[str, str | None] = {
            "google_ads": None,
            "linkedin_ads": LINKEDIN_TOKEN,
        }
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle and configuration ---------------------------------------------------------

    def __enter__(self) -> FakeAdApis:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, platform: str) -> str:
        return f"{self.base_url}/{PREFIXES[platform]}"

    def env(self, platforms: Sequence[str] = PLATFORMS) -> dict[str, str]:
        """The environment that points the loader's settings at these fakes."""
        env: dict[str, str] = {}
        for platform in platforms:
            prefix = platform.upper()
            env[f"{prefix}_BASE_URL"] = self.url(platform)
            env[f"{prefix}_ACCOUNT_IDS"] = ",".join(self.data[platform].account_ids)
        if "meta_ads" in platforms:
            env["META_ADS_ACCESS_TOKEN"] = META_TOKEN
        if "tiktok_ads" in platforms:
            env["TIKTOK_ADS_ACCESS_TOKEN"] = TIKTOK_TOKEN
        if "google_ads" in platforms:
            env["GOOGLE_ADS_DEVELOPER_TOKEN"] = GOOGLE_DEVELOPER_TOKEN
            env["GOOGLE_ADS_LOGIN_CUSTOMER_ID"] = GOOGLE_LOGIN_CUSTOMER_ID
            env["GOOGLE_ADS_TOKEN_URL"] = f"{self.url('google_ads')}/token"
        if "linkedin_ads" in platforms:
            env["LINKEDIN_ADS_TOKEN_URL"] = f"{self.url('linkedin_ads')}/oauth/v2/accessToken"
            env["LINKEDIN_ADS_ACCESS_TOKEN"] = LINKEDIN_TOKEN
        for platform in OAUTH_CLIENTS:
            if platform in platforms:
                client_id, secret, refresh = OAUTH_CLIENTS[platform]
                prefix = platform.upper()
                env[f"{prefix}_CLIENT_ID"] = client_id
                env[f"{prefix}_CLIENT_SECRET"] = secret
                env[f"{prefix}_REFRESH_TOKEN"] = refresh
        return env

    def inject(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def reset(self) -> None:
        """Forget faults, recorded requests and request counts (the data stays)."""
        with self._lock:
            self.faults.clear()
            self.requests.clear()
            self._counts.clear()

    def recorded(self, platform: str, endpoint: str = "report") -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.platform == platform and r.endpoint == endpoint]

    # --- dispatch ----------------------------------------------------------------------------

    def _fault(self, platform: str, endpoint: str) -> Fault | None:
        key = (platform, endpoint)
        self._counts[key] = number = self._counts.get(key, 0) + 1
        token_kinds = {"refresh_rejected"}
        for fault in self.faults:
            if fault.platform != platform or (fault.kind in token_kinds) != (endpoint == "token"):
                continue
            if fault.applies(number):
                return fault
        return None

    def handle(self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes) -> Answer:
        parts = urlsplit(raw_path)
        prefix, _, rest = parts.path.lstrip("/").partition("/")
        platform = next((p for p, name in PREFIXES.items() if name == prefix), None)
        if platform is None:
            return Answer(404, {"error": f"no fake under /{prefix}"})
        token_paths = {"google_ads": "token", "linkedin_ads": "oauth/v2/accessToken"}
        endpoint = "token" if token_paths.get(platform) == rest else "report"
        with self._lock:
            fault = self._fault(platform, endpoint)
            parsed: Any = body.decode() if body else None
            if parsed and headers.get("Content-Type", "").startswith("application/json"):
                parsed = json.loads(parsed)
            elif parsed:
                parsed = {k: v[0] for k, v in parse_qs(parsed).items()}
            if endpoint == "token":
                answer = self._token_endpoint(platform, parsed or {}, fault)
            else:
                answer = self._report(platform, method, rest, parts.query, headers, parsed, fault)
            self.requests.append(
                Recorded(
                    platform,
                    endpoint,
                    method,
                    parts.path,
                    parts.query,
                    {k.lower(): v for k, v in headers.items()},
                    parsed,
                    answer.status,
                    time.monotonic(),
                )
            )
            return answer

    def _report(
        self,
        platform: str,
        method: str,
        path: str,
        raw_query: str,
        headers: Mapping[str, str],
        body: Any,
        fault: Fault | None,
    ) -> Answer:
        kind = fault.kind if fault else None
        if kind == "rate_limit":
            assert fault is not None
            return Answer(429, _throttle_body(platform), {"Retry-After": str(fault.retry_after)})
        if kind == "server_error":
            return Answer(503, "<html><body>503 Service Unavailable</body></html>")
        if kind == "bad_body":
            return Answer(200, "<html><body>Down for maintenance</body></html>")
        if kind == "no_data":
            return Answer(200, NO_DATA[platform])
        if kind == "token_expired":
            self._valid_tokens[platform] = None  # the current token stops working
        return HANDLERS[platform](self, Request(method, path, raw_query, headers, body, kind))

    # --- OAuth token endpoints (Google, LinkedIn) --------------------------------------------

    def _token_endpoint(self, platform: str, form: dict[str, str], fault: Fault | None) -> Answer:
        client_id, secret, refresh = OAUTH_CLIENTS[platform]
        good = (
            form.get("grant_type") == "refresh_token"
            and form.get("client_id") == client_id
            and form.get("client_secret") == secret
            and form.get("refresh_token") == refresh
        )
        if fault is not None or not good:
            return Answer(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                },
            )
        self._issued[platform] += 1
        token = f"fake-{platform}-access-{self._issued[platform]}"
        self._valid_tokens[platform] = token
        return Answer(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def bearer_ok(self, platform: str, headers: Mapping[str, str]) -> bool:
        valid = self._valid_tokens[platform]
        return valid is not None and headers.get("Authorization") == f"Bearer {valid}"


# a 200 without the page's list: what a changed API or a proxy can answer
NO_DATA: dict[str, Any] = {
    "meta_ads": {"paging": {}},
    "google_ads": [],
    "tiktok_ads": {"code": 0, "message": "OK", "request_id": "fake", "data": {}},
    "linkedin_ads": {"paging": {"start": 0, "count": 10, "links": []}},
}


def _throttle_body(platform: str) -> Any:
    if platform == "google_ads":
        return {
            "error": {"code": 429, "message": "Quota exceeded.", "status": "RESOURCE_EXHAUSTED"}
        }
    if platform == "linkedin_ads":
        return {"status": 429, "code": "TOO_MANY_REQUESTS", "message": "Resource level throttle"}
    if platform == "tiktok_ads":
        return {"code": 40100, "message": "Too many requests.", "data": {}}
    return {"error": {"code": 4, "message": "(#4) Application request limit reached"}}


def _handler(fake: FakeAdApis) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                answer = fake.handle(self.command, self.path, self.headers, body)
            except Exception as error:  # a bug in the fake: kept for the test to report
                fake.errors.append(error)
                answer = Answer(500, f"fake server error: {error!r}")
            if isinstance(answer.body, str):
                payload, content_type = answer.body.encode(), "text/html"
            else:
                payload, content_type = json.dumps(answer.body).encode(), "application/json"
            self.send_response(answer.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _serve  # noqa: N815 - http.server's naming
        do_POST = _serve  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            pass  # requests are recorded, not logged

    return Handler
