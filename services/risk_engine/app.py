"""The faust adapter: wires topics and tables to the pure core in engine.py.

Delivery is at-least-once (faust's exactly_once does not work on Tansu, and its
changelog writes and offset commits are not atomic). Every state update is
idempotent (a session's code is set, never counted up), and a pupil's alerts are
acknowledged by the broker before the state that records them is written, so a
crash can repeat an alert (same id: downstream ignores it) but never lose one.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections import defaultdict

import faust
import pydantic_core
from aiohttp import web
from faust.streams import _current_event
from faust.types import TP
from pydantic import ValidationError

from services.risk_engine import engine, metrics
from services.risk_engine.calendars import Calendars
from services.risk_engine.output import BatchProducer, Record
from services.risk_engine.settings import Settings
from services.risk_engine.transport import Transport
from shared import topics
from shared.codes import UnknownCode, current_table
from shared.events import AttendanceMark, Characteristics, DeadLetter, PupilContext, utcnow
from shared.ops import prometheus_text
from shared.settings import KafkaSettings

log = logging.getLogger(__name__)


def within(event: faust.EventT) -> None:
    """Make `event` current, as faust does per event, so table reads and writes use its partition.

    Needed because take_events() yields batches; faust 0.15.3 takes the partition of a table
    write, and the RocksDB store the partition of a read, from this context variable (a read
    under another pupil's event finds nothing and would start the pupil afresh).
    """
    _current_event.set(weakref.ref(event))


class App(faust.App):
    def _new_transport(self):
        return Transport(self.conf.broker_consumer, self)


def worker_settings(kafka: KafkaSettings) -> dict:
    """faust settings for the embedded broker's behaviour (see README), shared with the benchmark's no-op agent."""
    return {
        "broker": [f"kafka://{server}" for server in kafka.bootstrap_servers.split(",")],
        "topic_partitions": kafka.pupil_partitions,
        "topic_disable_leader": True,
        # Only our own /metrics and /health are served: faust's web views expose table contents.
        "web_enabled": False,
        "broker_session_timeout": kafka.session_timeout_ms / 1000,
        "broker_heartbeat_interval": kafka.heartbeat_interval_ms / 1000,
        "consumer_auto_offset_reset": "earliest",
        "producer_acks": -1,
        "producer_linger_ms": 1,
        "table_standby_replicas": 0,
    }


def create_app(settings: Settings, kafka: KafkaSettings) -> App:
    app = App(settings.app_id, store=settings.store, datadir=settings.data_dir, **worker_settings(kafka))
    _wire(app, settings, kafka)
    return app


def _wire(app: App, settings: Settings, kafka: KafkaSettings) -> None:
    code_table = current_table()
    calendars = Calendars()

    def topic(t: topics.Topic) -> faust.TopicT:
        return app.topic(
            t.name,
            key_serializer="raw",
            value_serializer="raw",
            partitions=t.partition_count(kafka.pupil_partitions),
            internal=False,
        )

    marks, contexts, alerts, attendance, dlq = (
        topic(t)
        for t in (
            topics.MARKS,
            topics.PUPIL_CONTEXT,
            topics.RISK_ALERTS,
            topics.PUPIL_ATTENDANCE,
            topics.RISK_ENGINE_DLQ,
        )
    )
    # Keys and values are bytes (faust's "raw" codec): pupil id -> compact JSON of the engine state
    # (pydantic-core's encoder: about 4x the standard library's) / characteristics.
    state = app.Table(
        "pupil-state",
        default=None,
        key_type=bytes,
        value_type=bytes,
        partitions=kafka.pupil_partitions,
    )
    characteristics = app.Table(
        "pupil-context", default=None, key_type=str, value_type=bytes, partitions=kafka.pupil_partitions
    )

    def state_of(pupil_id: str) -> dict | None:
        raw = state.get(pupil_id.encode())
        return pydantic_core.from_json(raw) if raw else None

    async def send_dead_letter(event: faust.EventT, reason: str) -> None:
        message = event.message
        letter = DeadLetter(
            source_topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            reason=reason,
            payload=(event.value or b"").decode("utf-8", errors="replace"),
        )
        await (await dlq.send(key=topics.RISK_ENGINE_DLQ.key_of(letter), value=letter.to_bytes()))
        metrics.DEAD_LETTERS.labels(message.topic).inc()
        metrics.EVENTS.labels(message.topic, "dead_lettered").inc()
        log.warning("dead-lettered event", extra={"topic": message.topic, "offset": message.offset, "reason": reason})

    async def decode_marks(batch) -> dict[str, tuple[faust.EventT, list[AttendanceMark]]]:
        """Valid marks grouped by pupil, each group with one of its events (for the table's partition)."""
        by_pupil: dict[str, list[AttendanceMark]] = defaultdict(list)
        events: dict[str, faust.EventT] = {}
        for event in batch:
            try:
                mark = AttendanceMark.model_validate_json(event.value)
                code_table.lookup(mark.code)
            except (ValidationError, UnknownCode, ValueError) as error:
                await send_dead_letter(event, str(error).splitlines()[0])
                continue
            by_pupil[mark.pupil_id].append(mark)
            events[mark.pupil_id] = event
        return {pupil: (events[pupil], pupil_marks) for pupil, pupil_marks in by_pupil.items()}

    def context_for(pupil_id: str, school_urn: str) -> engine.Context:
        raw_context = characteristics.get(pupil_id)
        return engine.Context(
            table=code_table,
            thresholds=settings.thresholds,
            days=calendars.days(school_urn),
            characteristics=Characteristics.model_validate_json(raw_context) if raw_context else None,
            alerts_from=settings.alerts_from,
        )

    last_offsets: dict[TP, int] = {}

    @app.timer(5.0)
    async def measure_lag_and_size() -> None:
        assigned = app.consumer.assignment() if app.consumer else set()
        lag = 0
        for tp in assigned:
            if tp.topic == topics.MARKS.name:
                highwater = app.consumer.highwater(tp)
                if highwater is not None:
                    lag += max(0, highwater - last_offsets.get(tp, -1) - 1)
        metrics.CONSUMER_LAG.set(lag)
        metrics.PUPILS.set(len(state))  # here, not per take: counting a RocksDB store walks its keys

    output = BatchProducer(kafka, client_id=f"{settings.app_id}-output")
    changelog = state.changelog_topic.get_topic_name()

    @app.agent(marks)
    async def process_marks(stream):
        await output.start()
        try:
            # Batches cut per-event framework cost: a pupil's burst of marks costs one state write,
            # and a take's records go out as one batch per partition (output.py).
            async for batch in stream.take_events(settings.batch_size, within=settings.batch_within_s):
                await process_batch(batch)
        finally:
            await output.stop()

    marks_applied = metrics.EVENTS.labels(topics.MARKS.name, "applied")
    marks_unchanged = metrics.EVENTS.labels(topics.MARKS.name, "unchanged")

    async def process_batch(batch) -> None:
        steps, decoded = [], await decode_marks(batch)
        for event in batch:
            last_offsets[TP(event.message.topic, event.message.partition)] = event.message.offset
        for pupil_id, (event, pupil_marks) in decoded.items():
            within(event)  # a RocksDB store reads the partition of the current event
            context = context_for(pupil_id, pupil_marks[-1].school_urn)
            step = engine.process_marks(state_of(pupil_id), pupil_id, pupil_marks, context)
            steps.append((event, step))
            (marks_applied if step.changed else marks_unchanged).inc(len(pupil_marks))
        # A pupil's outputs go to the partition its marks came from: every pupil topic is
        # co-partitioned by pupil id, as the table's changelog is.
        await output.send(
            [
                Record(alerts.get_topic_name(), event.message.partition, topics.RISK_ALERTS.key_of(a), a.to_bytes())
                for event, step in steps
                for a in step.alerts
            ]
        )  # every alert acknowledged before the state that records it
        changed = [
            (event, step.snapshot.pupil_id.encode(), pydantic_core.to_json(step.state), step)
            for event, step in steps
            if step.changed
        ]
        offsets = await output.send(
            [Record(changelog, event.message.partition, key, value) for event, key, value, _ in changed]
            + [
                Record(
                    attendance.get_topic_name(),
                    event.message.partition,
                    topics.PUPIL_ATTENDANCE.key_of(step.snapshot),
                    step.snapshot.to_bytes(),
                )
                for event, _, _, step in changed
            ]
        )
        # The store is written once the changelog holds the state, and the take's offsets are
        # committed only after this returns, so a crash replays marks rather than losing them.
        for event, key, value, _ in changed:
            within(event)
            state.data[key] = value
        for tp, offset in offsets.items():
            if tp.topic == changelog:
                state.data.set_persisted_offset(TP(tp.topic, tp.partition), offset)
        for _, step in steps:
            for alert in step.alerts:
                metrics.ALERTS.labels(alert.rule, alert.transition).inc()
        now = utcnow()
        for _, pupil_marks in decoded.values():
            for mark in pupil_marks:
                metrics.LATENCY.observe((now - mark.occurred_at).total_seconds())
        metrics.LAST_PROCESSED.set(time.time())

    @app.agent(contexts)
    async def process_contexts(stream):
        async for event in stream.events():
            try:
                context = PupilContext.model_validate_json(event.value)
            except ValidationError as error:
                await send_dead_letter(event, str(error).splitlines()[0])
                continue
            characteristics[context.pupil_id] = context.characteristics.model_dump_json().encode()
            metrics.EVENTS.labels(topics.PUPIL_CONTEXT.name, "applied").inc()

    @app.task
    async def follow_calendars() -> None:
        await calendars.follow(kafka)

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
