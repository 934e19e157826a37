"""How the engine's batch producer cuts a partition's records into batches: in order, about a limit
each, and never between a pupil's stored pieces (the broker keeps a batch whole or not at all)."""

from services.risk_engine.output import RECORD_OVERHEAD, Record, plan_batches


def record(key: str, size: int, with_previous: bool = False) -> Record:
    return Record("t", 0, key.encode(), b"x" * (size - len(key) - RECORD_OVERHEAD), with_previous)


def test_batches_are_cut_at_the_limit_in_order():
    records = [record(f"r{i}", 100) for i in range(7)]
    assert [[r.key for r in batch] for batch in plan_batches(records, limit=300)] == [
        [b"r0", b"r1", b"r2"],
        [b"r3", b"r4", b"r5"],
        [b"r6"],
    ]


def test_records_with_the_previous_one_stay_in_its_batch_past_the_limit():
    pupil = [record("head", 100), record("block-0", 100, True), record("block-1", 100, True)]
    records = [record("other", 200), *pupil, record("last", 100)]
    assert [[r.key for r in batch] for batch in plan_batches(records, limit=300)] == [
        [b"other", b"head", b"block-0", b"block-1"],  # the head fitted, so its blocks follow it
        [b"last"],
    ]
