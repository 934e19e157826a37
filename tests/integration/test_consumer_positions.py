"""Where the risk engine's consumer resumes a partition after a rebalance, on the real broker: its
committed offset, or its beginning when nothing was committed yet (records fetched during the
rebalance were dropped unprocessed, so the position aiokafka was left at cannot be trusted)."""

import asyncio
from contextlib import asynccontextmanager

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import OffsetAndMetadata, TopicPartition

from services.risk_engine.output import BatchProducer, Record
from services.risk_engine.transport import seek_to_committed_or_beginning
from shared.topics import MARKS

pytestmark = pytest.mark.integration
PARTITIONS = [TopicPartition(MARKS.name, partition) for partition in range(3)]


@asynccontextmanager
async def consumer_of_ten_records_a_partition(kafka):
    """Ten records in each of three partitions, and a consumer in a group assigned all three."""
    producer = BatchProducer(kafka, client_id="test-positions")
    await producer.start()
    await producer.send([Record(MARKS.name, tp.partition, b"k", b"%d" % i) for tp in PARTITIONS for i in range(10)])
    await producer.stop()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers, group_id="test-positions", enable_auto_commit=False,
        auto_offset_reset="earliest",
    )  # fmt: skip
    await consumer.start()
    try:
        consumer.assign(PARTITIONS)
        yield consumer
    finally:
        await consumer.stop()


async def positions_after_a_rebalance(kafka, committed: dict[int, int], leave: set[str]) -> dict[int, int]:
    """A consumer reads six of each partition's ten records (as a fetch during a
    rebalance does before dropping them), `committed` is committed, and the consumer is sought."""
    async with consumer_of_ten_records_a_partition(kafka) as consumer:
        for tp in PARTITIONS:
            while (position := await consumer.position(tp)) < 6:
                await consumer.getmany(tp, max_records=6 - position, timeout_ms=1000)
        if committed:
            await consumer.commit({PARTITIONS[p]: OffsetAndMetadata(offset, "") for p, offset in committed.items()})
        await seek_to_committed_or_beginning(consumer, leave=leave)
        return {tp.partition: await consumer.position(tp) for tp in PARTITIONS}


def test_a_partition_is_resumed_at_its_commit_or_else_at_its_beginning(kafka):
    # Partition 0 committed at 4; partition 1 at 0 and partition 2 never: both from the start.
    assert asyncio.run(positions_after_a_rebalance(kafka, {0: 4, 1: 0}, leave=set())) == {0: 4, 1: 0, 2: 0}


def test_changelog_partitions_are_left_where_faust_put_them(kafka):
    assert asyncio.run(positions_after_a_rebalance(kafka, {}, leave={MARKS.name})) == {0: 6, 1: 6, 2: 6}


async def seek_while_the_assignment_changes(kafka) -> dict[int, int]:
    """Partition 0 committed at 4, the others never; while the seek is asking for the first commit,
    the consumer is left with partition 2 alone (as a rebalance does)."""
    async with consumer_of_ten_records_a_partition(kafka) as consumer:
        await consumer.commit({PARTITIONS[0]: OffsetAndMetadata(4, "")})
        seeking = asyncio.ensure_future(seek_to_committed_or_beginning(consumer, leave=set()))
        await asyncio.sleep(0)  # the seek is now waiting for the broker
        consumer.assign([PARTITIONS[2]])
        await seeking
        return {tp.partition: await consumer.position(tp) for tp in consumer.assignment()}


def test_a_partition_revoked_during_the_seek_does_not_stop_the_others(kafka):
    # Before: IllegalStateError ("not assigned") escaped, and faust carried on with nothing sought.
    assert asyncio.run(seek_while_the_assignment_changes(kafka)) == {2: 0}
