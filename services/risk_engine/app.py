"""The faust adapter: the composition root that wires topics and tables to the pure core.

Delivery is at-least-once (faust's exactly_once does not work on Tansu, and on Apache Kafka it
failed the worker-takeover test: docs/operations.md; the changelog writes and offset commits are
not atomic). Every state update is idempotent (a session's
code is set, never counted up), and a pupil's alerts are acknowledged by the broker before
the state that records them is written (batches.py), so a crash can repeat an alert (same
id: downstream ignores it) but never lose one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import faust
from aiokafka.structs import TopicPartition
from pydantic import ValidationError

from services.risk_engine import metrics
from services.risk_engine.batches import MarkBatches, dead_letter
from services.risk_engine.calendars import Calendars
from services.risk_engine.contexts import Contexts
from services.risk_engine.health import Progress
from services.risk_engine.operations import serve_operations
from services.risk_engine.output import BatchProducer
from services.risk_engine.settings import Settings
from services.risk_engine.tables import PupilContexts, PupilStates
from services.risk_engine.takes import takes_of_waiting_marks
from services.risk_engine.transport import Transport
from shared import topics
from shared.events import PupilContext
from shared.invalid import first_problem
from shared.settings import KafkaSettings

log = logging.getLogger(__name__)
EXIT_UNFINISHED_BATCH = 70  # EX_SOFTWARE: the supervisor restarts the worker, which replays the take


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
    app = App(
        settings.app_id,
        store=settings.store,
        datadir=settings.data_dir,
        processing_guarantee=settings.processing_guarantee,
        **worker_settings(kafka),
    )
    calendars = Calendars()
    states = PupilStates(_table(app, "pupil-state", kafka))
    forget_written_on_rebalance(app, states)
    enrolled = PupilContexts(_table(app, "pupil-context", kafka))
    progress = Progress(stall_after_s=settings.stall_after_s)
    output = BatchProducer(kafka, client_id=f"{settings.app_id}-output")
    batches = MarkBatches(states, Contexts(settings, calendars, enrolled), output, progress, assignment=assigned(app))
    _take_marks(app, kafka, batches=batches, output=output, settings=settings)
    _record_contexts(app, kafka, enrolled)
    _operate(app, settings=settings, kafka=kafka, calendars=calendars, progress=progress, states=states)
    return app


def _topic(app: App, topic: topics.Topic, kafka: KafkaSettings) -> faust.TopicT:
    return app.topic(
        topic.name,
        key_serializer="raw",
        value_serializer="raw",
        partitions=topic.partition_count(kafka.pupil_partitions),
        internal=False,
    )


def _table(app: App, name: str, kafka: KafkaSettings) -> faust.Table:
    return app.Table(name, default=None, key_type=bytes, value_type=bytes, partitions=kafka.pupil_partitions)


def _take_marks(
    app: App, kafka: KafkaSettings, *, batches: MarkBatches, output: BatchProducer, settings: Settings
) -> None:
    @app.agent(_topic(app, topics.MARKS, kafka))
    async def process_marks(stream):
        await output.start()
        try:
            # Batches cut per-event framework cost: a pupil's burst of marks costs one state write,
            # and a take's records go out as one batch per partition (output.py).
            await run_batches(
                takes_of_waiting_marks(stream, settings.batch_size, within_s=settings.batch_within_s), batches.process
            )
        finally:
            await output.stop()


def _record_contexts(app: App, kafka: KafkaSettings, enrolled: PupilContexts) -> None:
    dead_letters = _topic(app, topics.RISK_ENGINE_DLQ, kafka)

    @app.agent(_topic(app, topics.PUPIL_CONTEXT, kafka))
    async def process_contexts(stream):
        async for event in stream.events():
            await record_context(event, enrolled, dead_letters)


def _operate(
    app: App,
    *,
    settings: Settings,
    kafka: KafkaSettings,
    calendars: Calendars,
    progress: Progress,
    states: PupilStates,
) -> None:
    """What runs beside the agents: lag and health every 5 s, the calendars, /metrics and /health."""

    @app.timer(5.0)
    async def measure_progress() -> None:
        observe_progress(app, progress, states)

    @app.task
    async def follow_calendars() -> None:
        await calendars.follow(kafka)

    @app.task
    async def operations() -> None:
        await serve_operations(settings.host, settings.port, lambda: progress.healthy)


async def run_batches(
    batches: AsyncIterator[Sequence[faust.EventT]],
    process: Callable[[Sequence[faust.EventT]], Awaitable[None]],
    on_unfinished: Callable[[int], None] = os._exit,
) -> None:
    """Process each take. A take's events are acked when the loop asks for the next one (takes.py),
    even if processing raised; so a take that cannot be finished stops the process before its
    offsets can be committed, and the restarted worker replays it."""
    async for batch in batches:
        try:
            await process(batch)
        except Exception:
            log.critical(
                "a take of marks could not be finished; stopping before its offsets are committed", exc_info=True
            )
            on_unfinished(EXIT_UNFINISHED_BATCH)


async def record_context(event: faust.EventT, enrolled: PupilContexts, dead_letters: faust.TopicT) -> None:
    try:
        context = PupilContext.model_validate_json(event.value)
    except ValidationError as error:
        letter = dead_letter(event, f"undecodable PupilContext: {first_problem(error)}")
        await (await dead_letters.send(key=letter.key, value=letter.value))
        metrics.DEAD_LETTERS.labels(topics.PUPIL_CONTEXT.name).inc()
        metrics.EVENTS.labels(topics.PUPIL_CONTEXT.name, "dead_lettered").inc()
        return
    enrolled.record(context)
    metrics.EVENTS.labels(topics.PUPIL_CONTEXT.name, "applied").inc()


def forget_written_on_rebalance(app: faust.App, states: PupilStates) -> None:
    """What this worker wrote is the latest only while it holds those partitions throughout: once a
    rebalance begins, another worker may write the same pupils."""

    def forget(sender: faust.App, partitions: set, **kwargs) -> None:
        states.forget_written()

    app.on_partitions_revoked.connect(forget)
    app.on_partitions_assigned.connect(forget)


def assigned(app: faust.App) -> Callable[[], frozenset[int]]:
    """The marks partitions this worker holds now: when they change, the cohorts are recounted."""

    def partitions() -> frozenset[int]:
        consumer = app.consumer
        held = consumer.assignment() if consumer else set()
        return frozenset(tp.partition for tp in held if tp.topic == topics.MARKS.name)

    return partitions


def observe_progress(app: faust.App, progress: Progress, states: PupilStates) -> None:
    """Lag on this worker's marks partitions, and whether the worker is stalled."""
    consumer = app.consumer
    assigned = consumer.assignment() if consumer else set()
    highwaters = {
        TopicPartition(tp.topic, tp.partition): consumer.highwater(tp)
        for tp in assigned
        if tp.topic == topics.MARKS.name
    }
    lag = progress.lag(highwaters)
    metrics.CONSUMER_LAG.set(lag)
    metrics.ASSIGNED_PARTITIONS.set(len(highwaters))
    progress.observe(lag, busy=bool(app.in_recovery or app.rebalancing))
    metrics.HEALTHY.set(int(progress.healthy))
    metrics.PUPILS.set(len(states))  # here, not per take: counting a RocksDB store walks its keys
