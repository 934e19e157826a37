"""The seek at the end of a rebalance against records the drain is still handing on from before it.

faust resumes the stream partitions and then seeks them; records fetched from the old position in
between kept reaching the drain while the seek ran, each moving faust's read offset past the
seek's, so the records fetched again from the seek's position were dropped as already read (runs
of up to 69 marks lost in the takeover test on Tansu). faust's own drain loop and bookkeeping run
here; only the broker calls are scripted: the fetches, the committed offsets and the end offset."""

import asyncio

from aiokafka.structs import ConsumerRecord
from faust.types.tuples import TP
from mode import Service

from services.risk_engine.app import App
from shared.topics import MARKS

PARTITION = TP(MARKS.name, 0)


def fetched(offsets: range) -> dict[TP, list[ConsumerRecord]]:
    return {
        PARTITION: [
            ConsumerRecord(MARKS.name, PARTITION.partition, offset, 0, 0, b"key", b"mark", None, 3, 4, [])
            for offset in offsets
        ]
    }


async def handed_on_after_the_seek() -> list[int]:
    """The drain holds a batch of ten records fetched before the seek and is held on the fourth
    (a full stream queue); the seek finds nothing committed, so the partition is read again from
    its beginning. Returns the offsets the drain hands on to the streams once the seek is done."""
    app = App("test-seek", broker="kafka://127.0.0.1:9")  # never connected: the broker calls are scripted
    engine = app.consumer
    engine._set_active_tps({PARTITION})
    fetches = [fetched(range(10)), fetched(range(10))]  # before the seek, and again from its position
    refetched = asyncio.Event()

    async def fetch(active_partitions, timeout):
        if fetches:
            return fetches.pop(0)
        refetched.set()
        await asyncio.sleep(timeout)
        return {}

    async def committed():
        return {PARTITION: None}

    handed_on: list[int] = []
    held, queue_drained = asyncio.Event(), asyncio.Event()

    async def deliver(message):
        handed_on.append(message.offset)
        if message.offset == 3 and not queue_drained.is_set():
            held.set()
            await queue_drained.wait()

    engine._getmany, engine.seek_to_committed, engine.callback = fetch, committed, deliver
    engine.highwater = lambda tp: 10
    fetcher = Service()
    draining = asyncio.ensure_future(engine._drain_messages(fetcher))
    await asyncio.wait_for(held.wait(), 5)
    await asyncio.wait_for(engine.perform_seek(), 5)
    seek_done = len(handed_on)
    queue_drained.set()
    app.flow_control.resume()  # what the recovery does after the seek
    engine.resume_flow()
    await asyncio.wait_for(refetched.wait(), 5)
    await fetcher.stop()
    await asyncio.wait_for(draining, 5)
    return handed_on[seek_done:]


def test_every_record_from_the_seeks_position_is_handed_on_once_the_seek_is_done():
    # Before: 4..9 from the batch fetched before the seek, then the refetched 0..8 dropped as read.
    assert asyncio.run(handed_on_after_the_seek()) == list(range(10))
