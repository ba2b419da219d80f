"""What the four ad-platform sources share over HTTP: errors that stop a load, and the retry rule.

dlt's requests client already retries HTTP 429 and 5xx, waiting for ``Retry-After`` when the
server sends it. Two platforms throttle differently: Meta answers HTTP 400 with a throttle
``error.code`` and TikTok answers HTTP 200 with a non-zero ``code``. Each platform module
classifies its responses (``ErrorCheck``); every response that is not a good page raises an
:class:`AdApiError` from a response hook, and the retry rule added to dlt's retries those
marked retryable. Everything else fails the load, so an error body never loads as "no rows".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from dlt.sources.helpers.requests import Client

from campaign_analytics.errors import UserFacingError


class AdApiError(requests.HTTPError, UserFacingError):
    """A response the load cannot go past; the message is one line that names the fix.

    A subclass of ``requests.HTTPError`` carrying the response, so dlt's retry also sees the
    status code and ``Retry-After`` of a throttled response.
    """

    retryable = False

    def __init__(self, message: str, response: requests.Response | None = None) -> None:
        super().__init__(message, response=response)


class AdApiThrottledError(AdApiError):
    """The platform asks to slow down (or had a transient failure): retried by dlt's client."""

    retryable = True


class AdApiTokenError(AdApiError):
    """The platform rejects the credentials; retrying the same token cannot help."""


ErrorCheck = Callable[[requests.Response], "AdApiError | None"]


def retry_rule(response: requests.Response | None, exception: BaseException | None) -> bool:
    """dlt retry predicate: retry what a platform's check marked as throttling."""
    return isinstance(exception, AdApiError) and exception.retryable


def session() -> requests.Session:
    """A requests session with dlt's retries (429/5xx, ``Retry-After``) plus ``retry_rule``.

    Attempts, backoff and timeouts come from dlt's ``[runtime]`` settings
    (``request_max_attempts`` = 5 by default). Errors are raised by the hooks, not the session.
    """
    client = Client(raise_for_status=False, retry_condition=retry_rule)
    client.configure()
    return client.session


def raise_on_error(check: ErrorCheck) -> Callable[..., None]:
    """A rest_api response action that raises whatever ``check`` finds wrong."""

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        error = check(response)
        if error is not None:
            raise error

    return hook


def json_body(response: requests.Response) -> Any:
    """The response's JSON, or None when the body is not JSON (a proxy's HTML error page)."""
    try:
        return response.json()
    except ValueError:
        return None


def shorten(text: object, limit: int = 200) -> str:
    """Server text for a one-line message: whitespace collapsed, cut at ``limit``."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def http_error(label: str, response: requests.Response, detail: str, fix: str) -> AdApiError:
    """The error for a non-2xx response no platform rule recognised: 429/5xx are retryable."""
    status = response.status_code
    message = f"{label} answered HTTP {status} ({shorten(detail)}); {fix}"
    if status == 429 or status >= 500:
        return AdApiThrottledError(message, response)
    return AdApiError(message, response)
