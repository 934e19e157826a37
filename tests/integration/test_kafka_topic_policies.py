"""On Apache Kafka the registry's topic policies are applied, not only accepted: a compacted topic
loses each key's older values and keeps its latest, and an event stream loses records older than its
retention and keeps the rest. The broker rolls segments and runs its cleaner every fraction of a
second here, so what takes hours in production happens within the test."""

from __future__ import annotations

import time

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType

from infra.local.kafka_broker import KafkaBroker
from infra.local.readiness import free_port, wait_until
from shared.settings import KafkaSettings
from shared.topics import DAY_MS, MARKS, PUPIL_ATTENDANCE, REGISTRY
from tests.integration.conftest import broker_settings

pytestmark = [pytest.mark.integration, pytest.mark.broker("kafka")]
FAST_CLEANING = {
    "log.roll.ms": "300",
    "log.cleaner.backoff.ms": "200",
    "log.cleaner.min.cleanable.ratio": "0.01",
    "log.retention.check.interval.ms": "200",
    "log.segment.delete.delay.ms": "0",
    "log.cleaner.delete.retention.ms": "0",
}


@pytest.fixture
def fast_cleaning_kafka(tmp_path, broker_engine) -> KafkaSettings:
    settings = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}")
    embedded = broker_settings("kafka")
    with KafkaBroker(settings, embedded, tmp_path / "broker", overrides=FAST_CLEANING):
        yield settings


def read_all(kafka: KafkaSettings, topic: str) -> list[tuple[bytes, bytes]]:
    """Every record from the log start to the end offset (exact on Apache Kafka)."""
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        records = []
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend((record.key, record.value) for record in batch)
        return records
    finally:
        consumer.close()


def send(producer: KafkaProducer, topic: str, records: list[tuple[bytes, bytes]], timestamp_ms: int | None = None):
    for key, value in records:
        producer.send(topic, key=key, value=value, timestamp_ms=timestamp_ms)
    producer.flush()


def test_every_topic_is_created_with_its_registry_policy(fast_cleaning_kafka):
    admin = KafkaAdminClient(bootstrap_servers=fast_cleaning_kafka.bootstrap_servers)
    try:
        resources = [ConfigResource(ConfigResourceType.TOPIC, topic.name) for topic in REGISTRY]
        described = admin.describe_configs(resources, config_filter="all")["topic"]
    finally:
        admin.close()
    for topic in REGISTRY:
        for key, value in topic.broker_configs().items():
            assert described[topic.name][key]["value"] == value, (topic.name, key, described[topic.name][key])


def test_a_compacted_topic_keeps_only_each_keys_latest_value(fast_cleaning_kafka):
    keys = [f"100001|pupil-{i}".encode() for i in range(20)]
    producer = KafkaProducer(bootstrap_servers=fast_cleaning_kafka.bootstrap_servers, acks="all")
    for version in range(4):  # each version in its own segment: the broker rolls after 300 ms
        send(producer, PUPIL_ATTENDANCE.name, [(key, b"version-%d" % version) for key in keys])
        time.sleep(0.5)
    # The active segment is never cleaned: later records on every partition close the last version's.
    send(producer, PUPIL_ATTENDANCE.name, [(b"100002|pupil-%d" % i, b"another school") for i in range(20)])
    producer.close()

    def values_left() -> list[bytes]:
        return [value for key, value in read_all(fast_cleaning_kafka, PUPIL_ATTENDANCE.name) if key in keys]

    wait_until(lambda: len(values_left()) == len(keys), 60, "the cleaner to compact pupil.attendance")
    assert values_left() == [b"version-3"] * len(keys)


def test_an_event_stream_drops_records_older_than_its_retention(fast_cleaning_kafka):
    now_ms = int(time.time() * 1000)
    expired = now_ms - (MARKS.retention_days + 30) * DAY_MS
    kept = now_ms - (MARKS.retention_days - 30) * DAY_MS
    producer = KafkaProducer(bootstrap_servers=fast_cleaning_kafka.bootstrap_servers, acks="all")
    old = [(b"100001|pupil-%d" % i, b"a mark from two years ago") for i in range(10)]
    recent = [(b"100001|pupil-%d" % i, b"a mark from last year") for i in range(10)]
    send(producer, MARKS.name, old, timestamp_ms=expired)
    time.sleep(0.5)
    send(producer, MARKS.name, recent, timestamp_ms=kept)
    time.sleep(0.5)
    send(producer, MARKS.name, [(b"100001|pupil-0", b"today")])
    producer.close()

    wait_until(lambda: len(read_all(fast_cleaning_kafka, MARKS.name)) == 11, 60, "retention to delete expired marks")
    assert {value for _, value in read_all(fast_cleaning_kafka, MARKS.name)} == {b"a mark from last year", b"today"}
