"""Kafka helpers shared by every service: producer, consumer, topic creation, dead letters.

Every producer sets acks=all and idempotence explicitly (client defaults differ).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError, TopicAlreadyExistsError
from tenacity import before_sleep_log, retry, retry_if_exception_type, stop_after_delay, wait_exponential_jitter

from shared import events
from shared.settings import KafkaSettings
from shared.topics import REGISTRY, Topic

log = logging.getLogger(__name__)


def make_producer(settings: KafkaSettings, client_id: str, max_block_ms: int = 5_000) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=2,
        request_timeout_ms=settings.request_timeout_ms,
        max_block_ms=max_block_ms,
        # kafka-python waits 30 s by default for a first broker; ingest must answer 503 sooner.
        bootstrap_timeout_ms=max_block_ms,
    )


def make_consumer(settings: KafkaSettings, group_id: str, topics: Iterable[Topic], client_id: str) -> KafkaConsumer:
    """A consumer that commits only when told to, after its own database commit."""
    return KafkaConsumer(
        *(topic.name for topic in topics),
        bootstrap_servers=settings.bootstrap_servers,
        client_id=client_id,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.session_timeout_ms,
        heartbeat_interval_ms=settings.heartbeat_interval_ms,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        max_poll_records=500,
        # Not kafka-python's 30 s: the loop retries, and a stopping service should not wait that long.
        bootstrap_timeout_ms=5_000,
    )


def publish(producer: KafkaProducer, topic: Topic, event: events.Event):
    """Send one event keyed by the registry; returns the future of its ack."""
    return producer.send(topic.name, key=topic.key_of(event), value=event.to_bytes())


@retry(
    retry=retry_if_exception_type((KafkaError, OSError)),
    wait=wait_exponential_jitter(multiplier=0.2, max=2),
    stop=stop_after_delay(60),
    before_sleep=before_sleep_log(log, logging.WARNING),
    reraise=True,
)
def create_topics(settings: KafkaSettings, registry: Iterable[Topic] = REGISTRY) -> list[str]:
    """Create every missing topic in the registry; waits (bounded) for the broker to answer."""
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, client_id="ews-admin")
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(
                name=topic.name,
                num_partitions=topic.partition_count(settings.pupil_partitions),
                replication_factor=1,
                topic_configs=topic.broker_configs(),
            )
            for topic in registry
            if topic.name not in existing
        ]
        if missing:
            # Another process may create one between list and create.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(missing)
        return [topic.name for topic in missing]
    finally:
        admin.close()


def dead_letter(record: ConsumerRecord, reason: str) -> events.DeadLetter:
    payload = record.value.decode("utf-8", errors="replace") if record.value else ""
    return events.DeadLetter(
        source_topic=record.topic, partition=record.partition, offset=record.offset, reason=reason, payload=payload
    )


class DeadLetterPublisher:
    """Publishes dead letters to a service's dead-letter topic, waiting for the broker's ack."""

    def __init__(self, settings: KafkaSettings, topic: Topic, client_id: str) -> None:
        self._settings, self._topic, self._client_id = settings, topic, client_id
        self._producer: KafkaProducer | None = None

    def __call__(self, letter: events.DeadLetter) -> None:
        if self._producer is None:
            self._producer = make_producer(self._settings, client_id=self._client_id)
        publish(self._producer, self._topic, letter).get(timeout=self._settings.request_timeout_ms / 1000)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
