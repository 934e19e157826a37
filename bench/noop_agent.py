"""The framework's own ceiling: a faust agent that does nothing with each mark, on the same
transport and garbage-collector settings as the risk engine. Counts what it saw on /metrics."""

from __future__ import annotations

import os

import faust
from prometheus_client import Counter, start_http_server

from services.risk_engine.app import App, worker_settings
from services.risk_engine.settings import get_settings
from shared.ops import collect_less_often, settle_after_startup
from shared.settings import kafka_settings
from shared.topics import MARKS

SEEN = Counter("bench_noop_events_total", "Events the no-op agent iterated over")


def main() -> None:
    app = App(
        os.environ.get("NOOP_APP_ID", "bench-noop"),
        store="memory://",
        datadir=os.environ["NOOP_DATA_DIR"],  # faust writes a folder even with a memory store; keep it in the run's
        **worker_settings(kafka_settings()),
    )
    marks = app.topic(MARKS.name, key_serializer="raw", value_serializer="raw", internal=False)

    @app.agent(marks)
    async def nothing(stream):
        async for _ in stream.events():
            SEEN.inc()

    start_http_server(int(os.environ["NOOP_PORT"]), addr="127.0.0.1")
    settle_after_startup()
    collect_less_often(get_settings().gc_threshold)
    faust.Worker(app, loglevel="WARNING", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
