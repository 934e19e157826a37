"""The risk engine's batch producer against the real broker: every record lands, in order per
partition, batches that outgrow the size limit are split, and the offsets it reports are the
last ones written."""

import asyncio

from kafka import KafkaConsumer, TopicPartition

from services.risk_engine.output import MAX_BATCH_BYTES, BatchProducer, Record
from shared.topics import PUPIL_ATTENDANCE

TOPIC = PUPIL_ATTENDANCE.name


def read_partition(kafka, partition: int, expected: int) -> list[tuple[bytes, bytes]]:
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, enable_auto_commit=False, fetch_max_wait_ms=20)
    tp = TopicPartition(TOPIC, partition)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    records: list[tuple[bytes, bytes]] = []
    try:
        for _ in range(100):
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend((record.key, record.value) for record in batch)
            if len(records) >= expected:
                break
    finally:
        consumer.close()
    return records


async def send(kafka, records: list[Record]):
    producer = BatchProducer(kafka, client_id="test-batch-producer")
    await producer.start()
    try:
        return await producer.send(records)
    finally:
        await producer.stop()


def test_records_land_in_order_and_oversized_batches_are_split(kafka):
    large = b"x" * (MAX_BATCH_BYTES // 2 + 1)  # two cannot share a batch
    first = [Record(TOPIC, 0, f"pupil-{i}".encode(), large + bytes([i])) for i in range(3)]
    second = [Record(TOPIC, 1, f"pupil-{i}".encode(), f"small-{i}".encode()) for i in range(5)]
    interleaved = [record for pair in zip(first, second[:3], strict=True) for record in pair] + second[3:]

    offsets = asyncio.run(send(kafka, interleaved))

    assert {(tp.topic, tp.partition): offset for tp, offset in offsets.items()} == {(TOPIC, 0): 2, (TOPIC, 1): 4}
    assert read_partition(kafka, 0, 3) == [(r.key, r.value) for r in first]
    assert read_partition(kafka, 1, 5) == [(r.key, r.value) for r in second]
