"""The faust adapter: wires topics and tables to the pure core in engine.py."""

from __future__ import annotations

import logging
import time

import faust
from aiohttp import web
from pydantic import ValidationError

from services.risk_engine import engine, metrics
from services.risk_engine.rules import Thresholds
from services.risk_engine.settings import Settings
from services.risk_engine.transport import Transport
from shared import topics
from shared.codes import UnknownCode, current_table
from shared.events import AttendanceMark, DeadLetter, utcnow
from shared.ops import prometheus_text
from shared.settings import KafkaSettings

log = logging.getLogger(__name__)


class App(faust.App):
    def _new_transport(self):
        return Transport(self.conf.broker_consumer, self)


def create_app(settings: Settings, kafka: KafkaSettings) -> App:
    app = App(
        settings.app_id,
        broker=[f"kafka://{server}" for server in kafka.bootstrap_servers.split(",")],
        store=settings.store,
        datadir=settings.data_dir,
        topic_partitions=kafka.pupil_partitions,
        topic_disable_leader=True,
        # Only our own /metrics and /health are served: faust's web views expose table contents.
        web_enabled=False,
        broker_session_timeout=kafka.session_timeout_ms / 1000,
        broker_heartbeat_interval=kafka.heartbeat_interval_ms / 1000,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        table_standby_replicas=0,
    )
    _wire(app, settings, kafka)
    return app


def _wire(app: App, settings: Settings, kafka: KafkaSettings) -> None:
    code_table = current_table()
    thresholds = Thresholds(
        persistent_absence=settings.persistent_absence, min_possible_sessions=settings.min_possible_sessions
    )

    def topic(t: topics.Topic) -> faust.TopicT:
        return app.topic(
            t.name,
            key_serializer="raw",
            value_serializer="raw",
            partitions=t.partition_count(kafka.pupil_partitions),
            internal=False,
        )

    marks, alerts, attendance, dlq = (
        topic(t) for t in (topics.MARKS, topics.RISK_ALERTS, topics.PUPIL_ATTENDANCE, topics.RISK_ENGINE_DLQ)
    )
    # Keys and values use faust's table defaults (JSON): pupil id -> engine state dict.
    state = app.Table("pupil-state", default=None, key_type=str, partitions=kafka.pupil_partitions)

    async def send_dead_letter(event: faust.EventT, reason: str) -> None:
        message = event.message
        letter = DeadLetter(
            source_topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            reason=reason,
            payload=(event.value or b"").decode("utf-8", errors="replace"),
        )
        await dlq.send(key=topics.RISK_ENGINE_DLQ.key_of(letter), value=letter.to_bytes())
        metrics.DEAD_LETTERS.labels(message.topic).inc()
        log.warning("dead-lettered event", extra={"topic": message.topic, "offset": message.offset, "reason": reason})

    @app.agent(marks)
    async def process_marks(stream):
        async for event in stream.events():
            try:
                mark = AttendanceMark.model_validate_json(event.value)
                step = engine.process_mark(state.get(mark.pupil_id), mark, code_table, thresholds)
            except (ValidationError, UnknownCode, ValueError) as error:
                await send_dead_letter(event, str(error).splitlines()[0])
                metrics.EVENTS.labels(topics.MARKS.name, "dead_lettered").inc()
                continue
            if step.changed:
                for alert in step.alerts:
                    await alerts.send(key=topics.RISK_ALERTS.key_of(alert), value=alert.to_bytes())
                    metrics.ALERTS.labels(alert.rule, alert.transition).inc()
                await attendance.send(key=topics.PUPIL_ATTENDANCE.key_of(step.snapshot), value=step.snapshot.to_bytes())
                state[mark.pupil_id] = step.state
            metrics.EVENTS.labels(topics.MARKS.name, "applied" if step.changed else "unchanged").inc()
            metrics.LATENCY.observe((utcnow() - mark.occurred_at).total_seconds())
            metrics.LAST_PROCESSED.set(time.time())
            metrics.PUPILS.set(len(state))

    @app.task
    async def serve_operations() -> None:
        async def health(_: web.Request) -> web.Response:
            return web.json_response({"status": "ok", "service": "risk_engine"})

        async def metrics_view(_: web.Request) -> web.Response:
            body, content_type = prometheus_text()
            return web.Response(body=body, headers={"Content-Type": content_type})

        ops = web.Application()
        ops.router.add_get("/health", health)
        ops.router.add_get("/metrics", metrics_view)
        runner = web.AppRunner(ops, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, settings.host, settings.port).start()
        log.info("operations endpoints listening", extra={"host": settings.host, "port": settings.port})
