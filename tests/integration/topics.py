"""Reading what actually reached a topic on the real broker."""

from __future__ import annotations

import time

from kafka import KafkaConsumer, TopicPartition

from shared.events import Event
from shared.settings import KafkaSettings
from shared.topics import Topic


def read_topic(
    kafka: KafkaSettings, topic: Topic, expected: int, timeout_s: float = 20, quiet_s: float = 0.5
) -> list[tuple[bytes, Event]]:
    """Every (key, event) on `topic` from the start: at least `expected`, then until `quiet_s` passes
    with nothing new.

    Polls by count rather than end offsets: Tansu reports a partition's end offset as the start of
    its last batch, so "read to the end" can stop short.
    """
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, enable_auto_commit=False, fetch_max_wait_ms=20)
    partitions = [TopicPartition(topic.name, p) for p in consumer.partitions_for_topic(topic.name) or ()]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    records = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend((record.key, topic.decode(record.value)) for record in batch)
            if len(records) >= expected:
                while batches := consumer.poll(timeout_ms=int(quiet_s * 1000)):
                    for batch in batches.values():
                        records.extend((record.key, topic.decode(record.value)) for record in batch)
                break
    finally:
        consumer.close()
    return records
