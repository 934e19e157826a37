"""Who is calling, how often, and for which schools."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from services.ingest import metrics
from services.ingest.keys import ConnectorKey, find_key
from shared.tokens import bearer


class RateLimiter:
    def __init__(self, rate: str) -> None:
        self._limit = parse(rate)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def allow(self, connector: str) -> bool:
        return self._limiter.hit(self._limit, connector)

    def retry_after_s(self, connector: str) -> int:
        reset_at, _ = self._limiter.get_window_stats(self._limit, connector)
        return max(1, int(reset_at - time.time()) + 1)


def current_connector(
    request: Request,
    authorization: Annotated[str | None, Header(description="Bearer <connector API key>")] = None,
) -> ConnectorKey:
    key = bearer(authorization)
    if key is None:
        raise HTTPException(401, "send Authorization: Bearer <connector API key>", {"WWW-Authenticate": "Bearer"})
    connector = find_key(request.app.state.engine, key)
    if connector is None:
        raise HTTPException(401, "unknown or revoked API key", {"WWW-Authenticate": "Bearer"})
    limiter: RateLimiter = request.app.state.rate_limiter
    if not limiter.allow(connector.name):
        metrics.RATE_LIMITED.inc()
        raise HTTPException(
            429, "too many requests for this key", {"Retry-After": str(limiter.retry_after_s(connector.name))}
        )
    metrics.CONNECTOR_LAST_SEEN.labels(connector.name).set_to_current_time()
    return connector


ConnectorDep = Annotated[ConnectorKey, Depends(current_connector)]


def require_schools(connector: ConnectorKey, school_urns: Iterable[str]) -> None:
    outside = sorted(set(school_urns) - set(connector.schools))
    if outside:
        raise HTTPException(403, f"this key may not publish for school(s) {', '.join(outside)}")
