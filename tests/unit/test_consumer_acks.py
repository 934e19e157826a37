"""What the risk engine's consumer lets faust commit: only records a stream took for processing.

A record fetched before a rebalance can reach the stream after it; faust skips it (a stale
generation) and acks it. Before the fix that ack was committed, and the seek after the rebalance
resumed past a mark no worker had processed (one mark lost in some two-worker replays of a
1,000-pupil year, 57 in the borough-year)."""

from faust.types.tuples import TP, ConsumerMessage

from services.risk_engine.app import App
from shared.topics import MARKS

PARTITION = TP(MARKS.name, 3)


def consumer():
    app = App("test-acks", broker="kafka://127.0.0.1:9")  # never connected: acks are bookkeeping
    app.topics._acking_topics.add(MARKS.name)  # as subscribing the marks agent does
    return app.consumer


def fetched(offset: int, generation: int) -> ConsumerMessage:
    return ConsumerMessage(
        MARKS.name, PARTITION.partition, offset, 0.0, 0, [], b"key", b"mark", None, tp=PARTITION,
        generation_id=generation,
    )  # fmt: skip


def test_a_record_the_stream_skipped_is_never_committed():
    engine = consumer()
    stale = fetched(33185, generation=1)
    stale.ack(engine)  # what faust's stream does with a record it skips
    assert engine._new_offset(PARTITION) is None


def test_records_the_stream_processed_are_committed_up_to_the_first_skipped_one():
    engine = consumer()
    records = [fetched(offset, generation=2) for offset in range(10, 15)]
    for record in records:
        record.tracked = record.offset != 12  # the stream took all but 12
        record.ack(engine)
    assert engine._new_offset(PARTITION) == 12
