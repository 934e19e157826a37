"""/health and /metrics for the worker, on our own small server: faust's web views expose tables."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web

from shared.ops import prometheus_text

log = logging.getLogger(__name__)


async def serve_operations(host: str, port: int, healthy: Callable[[], bool]) -> None:
    async def health(_: web.Request) -> web.Response:
        ok = healthy()
        return web.json_response(
            {"status": "ok" if ok else "stalled", "service": "risk_engine"}, status=200 if ok else 503
        )

    async def metrics_view(_: web.Request) -> web.Response:
        body, content_type = prometheus_text()
        return web.Response(body=body, headers={"Content-Type": content_type})

    operations = web.Application()
    operations.router.add_get("/health", health)
    operations.router.add_get("/metrics", metrics_view)
    runner = web.AppRunner(operations, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("operations endpoints listening", extra={"host": host, "port": port})
