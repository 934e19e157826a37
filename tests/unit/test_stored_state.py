"""A pupil's state stored in pieces (a head and blocks of settled weeks) reads back exactly, however
the marks arrived, when the store keeps only each key's latest value, as a compacted changelog
does; and a mark in the current week writes the head alone."""

import datetime as dt
import zlib

import pydantic_core
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings

from services.risk_engine.engine import process_mark, refusal
from services.risk_engine.state import PupilState
from services.risk_engine.stored_state import (
    BLOCK,
    ZSTD_MAGIC,
    UnreadableState,
    assemble,
    decode_head,
    is_head,
    pieces,
)
from shared.codes import current_table
from shared.events import AttendanceMark
from tests.unit.engine_helpers import CONTEXT, DAYS, SCHOOL, day_marks, mark, run
from tests.unit.test_exactness import arrivals

KEY = f"{SCHOOL}|p1"


class CompactedStore(dict):
    """What a compacted changelog restores: each key's latest value."""

    def write(self, written: dict[str, bytes]) -> None:
        self.update(written)

    def state(self) -> PupilState:
        return assemble(KEY, decode_head(self[KEY]), self.get)


def stream(marks: list[AttendanceMark], store: CompactedStore) -> PupilState | None:
    """Each mark through the engine, writing only the pieces it changed; returns the last state."""
    state = None
    for each in marks:
        step = process_mark(state, each, CONTEXT)
        if step.changed:
            store.write(pieces(KEY, step.state, state))
            state = step.state
            assert store.state() == state
    return state


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrivals())
def test_pieces_written_as_marks_arrive_read_back_as_the_state(recordings):
    marks = [mark(day, session, code, pupil="p1").model_copy(update={"recorded_at": at})
             for day, session, code, at in recordings]  # fmt: skip
    store = CompactedStore()
    state = stream(marks, store)
    if state is not None:
        assert store.state() == state


def test_a_year_and_last_years_history_read_back_from_blocks():
    last_year = [each.model_copy(update={"date": each.date - dt.timedelta(days=364)})
                 for each in day_marks(DAYS[:40], lambda i, _: "N" if i % 7 == 0 else "present")]  # fmt: skip
    this_year = day_marks(DAYS, lambda i, _: "I" if i % 11 == 0 else "present")
    store = CompactedStore()
    state = stream(last_year + this_year, store)
    assert len(state["records"]) == 2
    blocks = [key for key in store if not is_head(key)]
    settled = [length for length, _ in decode_head(store[KEY])["current"].values()]
    assert len(blocks) == sum(-(-length // BLOCK) for length in settled) > 2  # four weeks a block
    assert sum(len(store[key]) for key in blocks) == sum(settled)


def test_a_mark_this_week_writes_the_head_alone_and_a_correction_rewrites_its_block():
    monday = next(day for day in DAYS[30:] if day.weekday() == 0)
    state, _ = run([*day_marks([day for day in DAYS if day < monday], lambda i, _: "present"), mark(monday, "AM", "/")])
    assert list(pieces(KEY, process_mark(state, mark(monday, "PM", "\\"), CONTEXT).state, state)) == [KEY]
    next_monday = monday + dt.timedelta(days=7)
    settling = pieces(KEY, process_mark(state, mark(next_monday, "AM", "/"), CONTEXT).state, state)
    assert len(settling) == 2 and not is_head(list(settling)[1])  # last week moves into its block
    corrected = process_mark(state, mark(DAYS[2], "AM", "I", recorded_hour=15), CONTEXT).state
    assert list(pieces(KEY, corrected, state)) == [KEY, f"{KEY}#{SCHOOL}|2025#0"]  # September's block


def test_a_mark_costs_a_few_hundred_bytes_not_the_whole_year():
    state, written, marks = None, 0, day_marks(DAYS, lambda i, _: "N" if i % 9 == 0 else "present")
    for each in marks:
        step = process_mark(state, each, CONTEXT)
        written += sum(len(key) + len(value) for key, value in pieces(KEY, step.state, state).items())
        state = step.state
    whole_state = len(pydantic_core.to_json(state))
    assert written / len(marks) < whole_state / 10


def test_a_state_kept_whole_by_an_earlier_version_reads_and_is_then_written_in_full():
    state, _ = run(day_marks(DAYS[:40], lambda i, _: "present"))
    whole = pydantic_core.to_json(state)
    assert assemble(KEY, decode_head(whole), lambda _: None) == state
    store = CompactedStore()
    store.write(pieces(KEY, state, None))  # nothing stored in pieces yet: every block is written
    assert store.state() == state


def test_a_head_compressed_with_zlib_by_an_earlier_version_still_reads():
    state, _ = run(day_marks(DAYS[:40], lambda i, _: "present"))
    store = CompactedStore()
    store.write(pieces(KEY, state, None))
    assert store[KEY][:4] == ZSTD_MAGIC
    store[KEY] = zlib.compress(zstandard.ZstdDecompressor().decompress(store[KEY]), 1)
    assert store.state() == state


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"\x78\x01garbage", zlib.compress(b"[1, 2]"), ZSTD_MAGIC + b"garbage", ZSTD_MAGIC],
)
def test_an_unreadable_head_says_so(raw):
    with pytest.raises(UnreadableState):
        assemble(KEY, decode_head(raw), lambda _: None)


def test_a_missing_block_is_refused_rather_than_read_as_empty_sessions():
    state, _ = run(day_marks(DAYS[:40], lambda i, _: "present"))
    store = CompactedStore()
    store.write(pieces(KEY, state, None))
    del store[f"{KEY}#{SCHOOL}|2025#0"]
    with pytest.raises(UnreadableState, match="missing"):
        store.state()


def test_marks_whose_ids_hold_the_pieces_separator_are_refused():
    hostile = mark(DAYS[0], "AM", "/", pupil=f"p1#{SCHOOL}|2025#0")
    assert "may not contain '#'" in refusal(hostile, current_table(), DAYS[-1])
