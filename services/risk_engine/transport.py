"""faust's aiokafka transport, adjusted to the embedded broker's behaviour.

- faust-streaming 0.15.3 hard-codes fetch_max_wait_ms=1500 for worker consumers, and Tansu
  always waits out the fetch wait, which put a forwarding agent's p99 near 2 s.
- Tansu reports a partition's end offset as one past the *first* record of its last batch.
  Table recovery reads a changelog up to that offset, so it skipped the rest of the batch and
  lost state whose marks were already committed; end offsets are completed here by reading
  the last batch. On Apache Kafka nothing lies past the reported end and they are unchanged.
- After a rebalance faust seeks every partition back to its committed offset, because records
  fetched while the assignment changed are dropped unprocessed. aiokafka does not seek a partition
  with no commit yet (or one at offset 0), so those dropped records were skipped for good: a worker
  that took over a partition whose previous owner died before its first commit lost every mark
  fetched during the takeover. Such a partition is sought to its beginning here, as the
  consumer's `earliest` reset policy says.
- faust's stream skips a record fetched before a rebalance that reaches it after (a stale
  generation, or while the flow is suspended), and acks it "so the lag does not grow": the next
  commit then moved the committed offset past a mark nobody had processed, and the seek after the
  rebalance resumed beyond it. A record the stream never took for processing is not acked here;
  the seek to the committed offset reads it again.
- faust resumes the stream partitions before it seeks them, and the drain went on handing on a
  batch fetched from the old position after the seek, moving its read offset past the seek's: the
  records fetched again were dropped as read. The flow is stopped before the seek here.
- mode's wait_first starts every awaitable it is given as a task, and two more for the consumer
  stopping and crashing; the drain calls it for every record it hands on, so each mark paid for
  four tasks (about 50 µs, half of what a faust agent doing nothing spent on a mark). Handing on a
  record seldom waits, so it is started here in the drain's own task, and only a hand-on that must
  wait carries on in a task, raced as before.
"""

from __future__ import annotations

import asyncio
import logging
import types
from collections.abc import AsyncIterator, Awaitable, Coroutine, Generator, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, Message
from mode.services import WaitResults

from shared.settings import KafkaSettings, kafka_settings

log = logging.getLogger(__name__)

TAIL_DRAIN_MS = 100  # after each partition's last batch has been seen, for any remainder of it
DRAIN_STOP_TIMEOUT_S = 10  # the drain lets go of its record within a loop turn or two of the flow stopping


async def complete_end_offsets(kafka: KafkaSettings, reported: Mapping[TP, int | None]) -> dict[TP, int | None]:
    """End offsets counting every record of each partition's last batch.

    Reads from just before each reported end: on Tansu that is the start of the last batch,
    which comes back whole; on Apache Kafka it is the last record.
    """
    ends = dict(reported)
    pending = {TopicPartition(tp.topic, tp.partition): tp for tp, end in reported.items() if end}
    if not pending:
        return ends
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        fetch_max_wait_ms=kafka.fetch_max_wait_ms,
        request_timeout_ms=kafka.request_timeout_ms,
    )
    await consumer.start()
    try:
        consumer.assign(list(pending))
        for partition, tp in pending.items():
            consumer.seek(partition, reported[tp] - 1)
        unseen = set(pending)

        def absorb(fetched) -> None:
            for partition, records in fetched.items():
                tp = pending[partition]
                ends[tp] = max(ends[tp], records[-1].offset + 1)
                unseen.discard(partition)

        deadline = asyncio.get_running_loop().time() + kafka.request_timeout_ms / 1000
        while unseen and asyncio.get_running_loop().time() < deadline:
            absorb(await consumer.getmany(timeout_ms=TAIL_DRAIN_MS))
        if unseen:
            log.warning("could not read the last batch to complete its end offset", extra={"partitions": str(unseen)})
        absorb(await consumer.getmany(timeout_ms=TAIL_DRAIN_MS))  # the rest of a batch split across fetches
        return ends
    finally:
        await consumer.stop()


async def seek_to_committed_or_beginning(
    consumer: AIOKafkaConsumer, leave: set[str]
) -> dict[TopicPartition, int | None]:
    """Seek each assigned partition to its committed offset, or to its beginning when it has none;
    partitions of the topics in `leave` (faust's changelogs, which it positions itself) are left
    where they are. Returns the committed offsets, as aiokafka's seek_to_committed does.

    Partition by partition, and only while still assigned: the assignment can change while a commit
    is being asked for, and one revoked partition must not stop the others being sought (aiokafka's
    own seek_to_committed raises then, and faust carries on with no partition sought)."""
    committed: dict[TopicPartition, int | None] = {}
    for tp in consumer.assignment():
        committed[tp] = offset = await consumer.committed(tp)
        if tp not in consumer.assignment():
            continue  # revoked meanwhile: the next assignment positions it
        if offset:
            consumer.seek(tp, offset)
        elif tp.topic not in leave:
            await consumer.seek_to_beginning(tp)
    return committed


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport):
        consumer = super()._create_worker_consumer(transport)
        # aiokafka reads this when start() builds its fetcher.
        consumer._fetch_max_wait_ms = kafka_settings().fetch_max_wait_ms
        return consumer

    async def seek_to_committed(self) -> Mapping[TP, int | None]:
        changelogs = self.app.tables.changelog_topics
        return await self.call_thread(seek_to_committed_or_beginning, self._ensure_consumer(), changelogs)

    async def _highwaters(self, partitions: list[TP]) -> Mapping[TP, int | None]:
        return await complete_end_offsets(kafka_settings(), await super()._highwaters(partitions))


async def carry_on(started: Coroutine, awaiting: Any) -> Any:
    """A coroutine already run up to its first wait, as a coroutine that resumes it once what it
    waits on is done (a task cannot take a coroutine that has started: it would resume it at once)."""
    return await _resume(started, awaiting)


@types.coroutine
def _resume(started: Coroutine, awaiting: Any) -> Generator[Any, Any, Any]:
    while True:
        try:
            try:
                sent = yield awaiting
            except GeneratorExit:
                started.close()
                raise
            except BaseException as thrown:  # a task's cancellation: the coroutine handles it
                awaiting = started.throw(thrown)
            else:
                awaiting = started.send(sent)
        except StopIteration as finished:
            return finished.value


def close_unstarted(awaitables: tuple[Awaitable, ...]) -> None:
    for awaitable in awaitables:
        if asyncio.iscoroutine(awaitable):
            awaitable.close()  # never awaited: closed, so Python does not warn that it was not


class Consumer(faust_aiokafka.Consumer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._hands_free = asyncio.Event()  # set while no fetched record is out with the drain
        self._hands_free.set()

    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:
        async for tp, message in super().getmany(timeout):
            self._hands_free.clear()
            try:
                yield tp, message
            finally:  # the drain asks for the next record only once it has noted this one as read
                self._hands_free.set()

    async def perform_seek(self) -> None:
        """Seek only once the drain has stopped handing on records fetched before the seek.

        faust resumes the stream partitions and then seeks them, so the drain can still be handing
        on a batch fetched from the old position while the seek runs; each record it hands on
        moves faust's read offset past the seek's, and the records fetched again from the seek's
        position were then dropped as already read, while the stale ones in the streams' queues
        were cleared when the flow resumed: a run of marks lost. Stopping the flow ends that batch
        (the recovery resumes the flow after the seek), and the seek waits for the record in hand.
        Only stream partitions are refetched by the seek: this relies on there being no standby
        tables (`table_standby_replicas` is 0), whose changelog records the dropped batch could hold.
        """
        self.stop_flow()
        try:
            await asyncio.wait_for(self._hands_free.wait(), DRAIN_STOP_TIMEOUT_S)
        except TimeoutError:  # a drain gone without finishing its record: seeking is still better than not
            log.warning("the drain did not let go of its record before the seek")
        await super().perform_seek()

    async def wait_first(self, *coros: Any, timeout: Any = None) -> WaitResults:
        """As mode's, but the first coroutine runs at once in the caller's task: if it finishes without
        waiting, no task is made and the others are never started."""
        first, others = coros[0], coros[1:]
        if not asyncio.iscoroutine(first):
            return await super().wait_first(*coros, timeout=timeout)
        try:
            awaiting = first.send(None)
        except StopIteration as finished:
            close_unstarted(others)
            if self._stopped.is_set() or self._crashed.is_set():
                return WaitResults([], [], True)  # as mode answers once the consumer stopped or crashed
            return WaitResults([first], [finished.value], False)
        except BaseException:
            close_unstarted(others)
            raise
        carried = carry_on(first, awaiting)
        results = await super().wait_first(carried, *others, timeout=timeout)
        return results._replace(done=[first if done is carried else done for done in results.done])

    def ack(self, message: Message) -> bool:
        if not message.tracked:  # skipped by the stream, never processed: committing it would lose it
            return False
        return super().ack(message)


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer
