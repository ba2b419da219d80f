"""FastAPI dependencies: the verified caller, its tenant, and its rate limit."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from campaign_analytics.service.auth import Principal, UnauthorizedError
from campaign_analytics.service.limiting import LimitedError
from campaign_analytics.service.state import ServiceState

bearer = HTTPBearer(auto_error=False, description="an API key (ca_...) or a JWT")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="campaign-analytics"'}


# Every dependency is `async def`: FastAPI runs a plain `def` one in a worker thread, a thread
# hop per request that costs more than the rest of a cache hit.


async def state(request: Request) -> ServiceState:
    return request.app.state.service


async def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller, from `Authorization: Bearer <token>` only; 401 otherwise; then its limit."""
    service: ServiceState = request.app.state.service
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "send Authorization: Bearer <API key or JWT>", CHALLENGE)
    token = credentials.credentials
    try:
        # an API key not seen in the last CA_API_KEY_CACHE_SECONDS is checked in PostgreSQL,
        # off the event loop; everything else is answered here
        who = service.verifier.known(token) or await anyio.to_thread.run_sync(
            service.verifier.verify, token
        )
    except UnauthorizedError as error:
        raise HTTPException(
            401,
            str(error),
            {"WWW-Authenticate": CHALLENGE["WWW-Authenticate"] + ', error="invalid_token"'},
        ) from None
    try:
        await service.rate_limiter.hit(who.subject)
    except LimitedError as error:
        service.metrics.rejections.labels("rate").inc()
        raise HTTPException(429, str(error), {"Retry-After": str(error.retry_after)}) from None
    return who


Caller = Annotated[Principal, Depends(principal)]


async def tenant(
    who: Caller,
    advertiser_id: Annotated[
        int | None,
        Query(ge=1, description="admin tokens only: answer for this advertiser"),
    ] = None,
) -> int:
    """The advertiser every query of the request is scoped to: the token's, or for an admin
    the one it names. Never anything else from the request."""
    if advertiser_id is None or advertiser_id == who.advertiser_id:
        return who.advertiser_id
    if not who.is_admin:
        raise HTTPException(403, "only admin tokens may choose advertiser_id")
    return advertiser_id


Tenant = Annotated[int, Depends(tenant)]


async def admin(who: Caller) -> Principal:
    if not who.is_admin:
        raise HTTPException(403, "this needs an admin token")
    return who


Admin = Annotated[Principal, Depends(admin)]
Service = Annotated[ServiceState, Depends(state)]
