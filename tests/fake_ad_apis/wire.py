"""What the fakes share: the credentials they accept, requests and answers, opaque tokens."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

META_TOKEN = "fake-meta-access-token"
TIKTOK_TOKEN = "fake-tiktok-access-token"
GOOGLE_DEVELOPER_TOKEN = "fake-google-developer-token"
GOOGLE_LOGIN_CUSTOMER_ID = "9990001111"
LINKEDIN_TOKEN = "fake-linkedin-access-token"
# (client id, client secret, refresh token) of the OAuth platforms
OAUTH_CLIENTS = {
    "google_ads": ("fake-google-client-id", "fake-google-client-secret", "fake-google-refresh"),
    "linkedin_ads": ("fake-linkedin-client-id", "fake-linkedin-client-secret", "fake-li-refresh"),
}


class Request(NamedTuple):
    """A report request as a platform handler sees it; ``kind`` is the fault to play, if any."""

    method: str
    path: str  # below the platform's prefix, e.g. "v24.0/act_1/insights"
    raw_query: str
    headers: Mapping[str, str]
    body: Any  # parsed JSON or form, else None
    kind: str | None


@dataclass
class Answer:
    status: int
    body: Any  # JSON-able, or a str sent as text/html
    headers: dict[str, str] = field(default_factory=dict)


def token(payload: dict[str, Any]) -> str:
    """An opaque page token or cursor carrying ``payload``."""
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def untoken(value: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))


def money(value: Decimal) -> str:
    """A decimal as the platforms write amounts in JSON strings: plain digits, no exponent."""
    return format(value, "f")
