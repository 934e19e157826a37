"""The engine's faust tables, behind small interfaces the batch processor uses.

Keys are "school|pupil" (one record per enrolment). Values are bytes: compact JSON written with
pydantic-core's encoder (about 4x the standard library's).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterator
from typing import NamedTuple

import faust
import pydantic_core
from faust.streams import _current_event
from faust.types import TP

from services.risk_engine import stored_state
from services.risk_engine.figures import Counts
from services.risk_engine.state import PupilState
from shared.events import Characteristics, PupilContext, pupil_key

log = logging.getLogger(__name__)


def within(event: faust.EventT) -> None:
    """Make `event` current, as faust does per event, so table reads and writes use its partition.

    Needed because the engine processes takes of many events (takes.py); faust 0.15.3 takes the
    partition of a table write, and the RocksDB store the partition of a read, from this context
    variable (a read under another pupil's event finds nothing and would start the pupil afresh).
    """
    _current_event.set(weakref.ref(event))


def within_none() -> None:
    """Make no event current: reads then search every partition held (as a recount must)."""
    _current_event.set(None)


class Written(NamedTuple):
    """A state this worker wrote, with the head it wrote for it."""

    head: bytes
    state: PupilState


class PupilStates:
    """Each enrolment's `PupilState`, stored in pieces (stored_state.py). Written straight to the
    store: the changelog records are sent (and acknowledged) by the batch processor before, see
    batches.py.

    The states this worker wrote are kept as written, and read back while the store still holds
    their head: decoding a head and joining its blocks was a tenth of a mark's work. They are
    forgotten whenever partitions are revoked or assigned (`forget_written`), since another
    worker may then have written the same pupils."""

    def __init__(self, table: faust.Table) -> None:
        self._table = table
        self.changelog_topic: str = table.changelog_topic.get_topic_name()
        self._kept_whole: set[str] = set()  # read as one record written by an earlier version
        self._written: dict[str, Written] = {}

    def get(self, key: str, event: faust.EventT) -> PupilState | None:
        within(event)
        store = self._table.data  # read as written (put): faust's Table layer costs ~3 µs a read
        raw = store.get(key.encode())
        if not raw:
            return None
        written = self._written.get(key)
        if written is not None and written.head == raw:
            return written.state
        head = stored_state.decode_head(raw)
        if stored_state.kept_whole(raw):
            self._kept_whole.add(key)
        return stored_state.assemble(key, head, lambda block: store.get(block.encode()))

    def pieces(self, key: str, state: PupilState, stored: PupilState | None) -> stored_state.Pieces:
        """What to write for `state`, given `stored`, the state get() returned."""
        return stored_state.pieces(key, state, None if key in self._kept_whole else stored)

    def put(self, key: str, state: PupilState, *, pieces: stored_state.Pieces, event: faust.EventT) -> None:
        """Store `state`, whose pieces() are `pieces`."""
        within(event)
        for piece, value in pieces.items():
            self._table.data[piece.encode()] = value
            self._kept_whole.discard(piece)
        self._written[key] = Written(pieces[key], state)

    def forget_written(self) -> None:
        """Read every state from the store from now on, until this worker writes it again."""
        self._written.clear()

    def counts(self) -> Iterator[tuple[str, str, Counts]]:
        """(key, school, running counts) of every enrolment this worker holds (the partitions
        assigned to it). A record that cannot be read is passed over: its pupil's next marks
        dead-letter with the reason."""
        for raw_key, raw in self._table.data.items():
            key = raw_key.decode()
            if not stored_state.is_head(key):
                continue
            try:
                head = stored_state.decode_head(raw)
            except stored_state.UnreadableState:
                log.warning("passed over an unreadable pupil state while counting cohorts")
                continue
            yield key, head["school"], head["counts"]

    def mark_persisted(self, partition: int, offset: int) -> None:
        """The store now holds everything up to `offset` of the changelog partition (for RocksDB's restart)."""
        self._table.data.set_persisted_offset(TP(self.changelog_topic, partition), offset)

    def __len__(self) -> int:
        separator = stored_state.BLOCK_SEPARATOR.encode()
        return sum(1 for key in self._table.data if separator not in key)


class Enrolled(NamedTuple):
    """What pupil.context tells the engine about an enrolment."""

    characteristics: Characteristics
    year_group: int | None


class PupilContexts:
    """Each enrolment's characteristics and year group, from pupil.context."""

    def __init__(self, table: faust.Table) -> None:
        self._table = table

    def record(self, context: PupilContext) -> None:
        self._table[pupil_key(context.school_urn, context.pupil_id)] = self.encode(context)

    @staticmethod
    def encode(context: PupilContext) -> bytes:
        return context.model_dump_json(include={"year_group", "characteristics"}).encode()

    def read(self, key: str) -> Enrolled | None:
        raw = self._table.get(key)
        if not raw:
            return None
        stored = pydantic_core.from_json(raw)
        if "characteristics" not in stored:  # written before year groups were kept: characteristics alone
            return Enrolled(Characteristics.model_validate(stored), None)
        return Enrolled(Characteristics.model_validate(stored["characteristics"]), stored["year_group"])
