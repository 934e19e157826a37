"""End offsets the risk engine's table recovery can trust, on the real broker: every record of a
partition's last batch counts, however many records the batches held."""

import asyncio

from faust.types import TP
from kafka import KafkaConsumer, TopicPartition

from services.risk_engine.output import BatchProducer, Record
from services.risk_engine.transport import complete_end_offsets
from shared.topics import PUPIL_ATTENDANCE

TOPIC = PUPIL_ATTENDANCE.name


def reported_end_offsets(kafka) -> dict[TP, int]:
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers)
    try:
        ends = consumer.end_offsets([TopicPartition(TOPIC, p) for p in range(4)])
    finally:
        consumer.close()
    return {TP(tp.topic, tp.partition): end for tp, end in ends.items()}


async def send_batches(kafka, sizes_by_partition: dict[int, list[int]]) -> None:
    producer = BatchProducer(kafka, client_id="test-end-offsets")
    await producer.start()
    try:
        for partition, sizes in sizes_by_partition.items():
            for size in sizes:  # one send per batch: each lands as one batch of `size` records
                await producer.send([Record(TOPIC, partition, b"k", b"v%d" % i) for i in range(size)])
    finally:
        await producer.stop()


def test_end_offsets_count_every_record_of_the_last_batch(kafka):
    sizes = {0: [10], 1: [10, 5], 2: [10, 5, 1]}  # partition 3 stays empty
    asyncio.run(send_batches(kafka, sizes))

    completed = asyncio.run(complete_end_offsets(kafka, reported_end_offsets(kafka)))

    assert completed == {TP(TOPIC, 0): 10, TP(TOPIC, 1): 15, TP(TOPIC, 2): 16, TP(TOPIC, 3): 0}
