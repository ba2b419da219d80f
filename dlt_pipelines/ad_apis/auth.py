"""Credentials on requests: a query-parameter token (Meta) and OAuth 2.0 refresh tokens.

Both are plain ``requests`` auth objects set on the session. requests registers an auth
object's response hook before the request's own hooks, so :class:`OAuthRefreshToken` sees a
401 before the error checks do: it refreshes the access token once, resends, and lets a
second 401 through to the platform's check, which fails the load with a one-line message.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.auth import AuthBase

from dlt_pipelines.ad_apis.http import AdApiTokenError, json_body, shorten

# refresh this long before the server's expires_in runs out
EXPIRY_MARGIN_SECONDS = 60
TOKEN_TIMEOUT_SECONDS = 30


class QueryToken(AuthBase):
    """``?access_token=...`` unless the URL has it already (Meta puts it in ``paging.next``)."""

    def __init__(self, token: str, name: str = "access_token") -> None:
        self.token = token
        self.name = name

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self.name not in parse_qs(urlsplit(request.url or "").query):
            request.prepare_url(request.url, {self.name: self.token})
        return request


class OAuthRefreshToken(AuthBase):
    """A Bearer access token from the refresh-token grant (Google, LinkedIn).

    The first request fetches a token; one that expires (``expires_in``) is replaced before it
    is used. A 401 on a request sent with the current token refreshes it once and resends;
    if the fresh token is rejected too, the 401 goes on to the error checks.
    """

    def __init__(
        self,
        *,
        label: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        fix: str,
        access_token: str | None = None,
    ) -> None:
        self.label = label
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.fix = fix
        self.access_token = access_token
        self.expires_at = float("inf") if access_token else 0.0
        self.refreshes = 0
        # True once a response other than 401 came back for the current token
        self._token_worked = False
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict[int, Any]) -> OAuthRefreshToken:
        return self  # live token state (rest_api deep-copies its config to validate it)

    def _header(self) -> str:
        return f"Bearer {self.access_token}"

    def refresh(self) -> None:
        try:
            response = requests.post(
                self.token_url,
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": self.refresh_token,
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                },
                timeout=TOKEN_TIMEOUT_SECONDS,
            )
        except requests.RequestException as error:
            raise AdApiTokenError(
                f"{self.label}: cannot reach the OAuth token endpoint {self.token_url} "
                f"({shorten(error)}); check the network and the token URL"
            ) from error
        body = json_body(response)
        body = body if isinstance(body, dict) else {}
        token = body.get("access_token")
        if response.status_code != 200 or not token:
            reason = (body.get("error_description") or body.get("error")) if body else None
            raise AdApiTokenError(
                f"{self.label}: the OAuth token endpoint refused the refresh token "
                f"(HTTP {response.status_code}: {shorten(reason or response.text)}); {self.fix}",
                response,
            )
        self.access_token = token
        expires_in = float(body.get("expires_in") or 3600)
        self.expires_at = time.monotonic() + expires_in - EXPIRY_MARGIN_SECONDS
        self.refreshes += 1
        self._token_worked = False

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        with self._lock:
            if self.access_token is None or time.monotonic() >= self.expires_at:
                self.refresh()
            request.headers["Authorization"] = self._header()
        request.register_hook("response", self._on_response)
        return request

    def _on_response(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        sent = response.request.headers.get("Authorization")
        with self._lock:
            if response.status_code != 401:
                if sent == self._header():
                    self._token_worked = True
                return response
            if sent == self._header():
                if self.refreshes and not self._token_worked:
                    return response  # a freshly refreshed token is rejected: the check fails
                self.refresh()
            header = self._header()
        return self._resend(response, header, **kwargs)

    @staticmethod
    def _resend(response: requests.Response, header: str, **kwargs: Any) -> requests.Response:
        # the pattern of requests' own HTTPDigestAuth.handle_401
        response.content  # noqa: B018 - drain the body so the connection can be reused
        response.close()
        retry = response.request.copy()
        retry.headers["Authorization"] = header
        again = response.connection.send(retry, **kwargs)
        again.history.append(response)
        again.request = retry
        return again
