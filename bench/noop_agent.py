"""The framework's own ceiling: a faust agent that does nothing with each mark, on the same
transport settings as the risk engine. Counts what it saw on /metrics."""

from __future__ import annotations

import os

import faust
from prometheus_client import Counter, start_http_server

from services.risk_engine.app import App
from shared.settings import kafka_settings
from shared.topics import MARKS

SEEN = Counter("bench_noop_events_total", "Events the no-op agent iterated over")


def main() -> None:
    kafka = kafka_settings()
    app = App(
        os.environ.get("NOOP_APP_ID", "bench-noop"),
        broker=[f"kafka://{server}" for server in kafka.bootstrap_servers.split(",")],
        store="memory://",
        topic_partitions=kafka.pupil_partitions,
        topic_disable_leader=True,
        web_enabled=False,
        broker_session_timeout=kafka.session_timeout_ms / 1000,
        broker_heartbeat_interval=kafka.heartbeat_interval_ms / 1000,
        consumer_auto_offset_reset="earliest",
    )
    marks = app.topic(MARKS.name, key_serializer="raw", value_serializer="raw", internal=False)

    @app.agent(marks)
    async def nothing(stream):
        async for _ in stream.events():
            SEEN.inc()

    start_http_server(int(os.environ["NOOP_PORT"]), addr="127.0.0.1")
    faust.Worker(app, loglevel="WARNING", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
