"""How a pupil's state is laid out in the engine's table and its changelog: in pieces, so that a mark
writes a few hundred bytes rather than the pupil's whole year. Pure.

A state is stored as
- a head under the enrolment's key ("school|pupil"): everything but the settled sessions, that is
  the running counts, the evaluation date, the alert episodes and each record's current week of
  cells, as zstd-compressed JSON (heads written before zstd are zlib's, and still read);
- the cells before each record's current week, in blocks of four weeks under
  "school|pupil#<record key>#<block>", written when a week is settled into them and again only if a
  late mark or correction changes them.
A mark for this week rewrites the head alone (the first mark of a week also writes the block the
last week settled into), where writing the whole state cost about 6 KB a mark by the summer. Pieces never
shrink or disappear, so a compacted changelog, which keeps every key's latest value, restores them.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import pydantic_core
import zstandard

from services.risk_engine.attendance import CELL
from services.risk_engine.state import PupilState

WEEK = 14 * CELL  # AM and PM cells of seven days: the cells run from 1 September, weekends included
BLOCK = 4 * WEEK
BLOCK_SEPARATOR = "#"  # the engine refuses marks whose pupil id or school holds one (engine.refusal)
# The head is about 1 KB of JSON, written with every mark and read with the next: zstd's fastest level
# compresses it to within a few bytes of zlib's (about 400) in a third of the time, and decompresses
# it in two-thirds.
# One compressor and decompressor serve every head: making them is most of the cost.
_COMPRESS = zstandard.ZstdCompressor(level=1).compress
_DECOMPRESS = zstandard.ZstdDecompressor().decompress
ZSTD_MAGIC = zstandard.FRAME_HEADER  # how a zstd frame begins (28 b5 2f fd); a zlib head begins 0x78

Pieces = dict[str, bytes]


class UnreadableState(ValueError):
    """A stored head or block that does not make a state (a corrupt or truncated record)."""


def is_head(key: str) -> bool:
    return BLOCK_SEPARATOR not in key


def _settled_length(cells: str) -> int:
    """Where the current week begins: every cell before it is settled into blocks."""
    return (len(cells) - 1) // WEEK * WEEK if cells else 0


def _block_key(key: str, record: str, start: int) -> str:
    return f"{key}{BLOCK_SEPARATOR}{record}{BLOCK_SEPARATOR}{start // BLOCK}"


def _changed_blocks(key: str, record: str, cells: str, old: str | None) -> Pieces:
    """The blocks of `cells` that differ from those of `old` (None: none stored, so every block)."""
    settled = _settled_length(cells)
    old_settled = _settled_length(old) if old is not None else 0
    first = 0
    if old is not None and cells.startswith(old[:old_settled]):  # the usual case: sessions only added
        if settled == old_settled:
            return {}
        first = old_settled // BLOCK * BLOCK  # blocks before the one the old settled cells end in are as they were
    changed = {}
    for start in range(first, settled, BLOCK):
        block = cells[start : min(start + BLOCK, settled)]
        if old is None or old[start : min(start + BLOCK, old_settled)] != block:
            changed[_block_key(key, record, start)] = block.encode()
    return changed


def _head(state: PupilState) -> bytes:
    current = {record: [settled, cells[settled:]] for record, cells in state["records"].items()
               for settled in [_settled_length(cells)]}  # fmt: skip
    head = {field: value for field, value in state.items() if field != "records"} | {"current": current}
    return _COMPRESS(pydantic_core.to_json(head))


def pieces(key: str, state: PupilState, stored: PupilState | None) -> Pieces:
    """What to write for `state` when `stored` is what the table holds now (None: nothing, or a
    state kept whole by an earlier version): the head, and every block that differs."""
    written = {key: _head(state)}
    for record, cells in state["records"].items():
        old = stored["records"].get(record) if stored is not None else None
        written |= _changed_blocks(key, record, cells, old)
    return written


HEAD_FIELDS = frozenset({"school", "counts", "latest", "calendar", "alerts", "current"})


def kept_whole(raw: bytes) -> bool:
    """A state written whole, as plain JSON, by the version before pieces (a head is compressed)."""
    return raw[:1] == b"{"


def decode_head(raw: bytes) -> dict:
    """A head's fields (the state without its settled cells); a state kept whole by an earlier
    version reads as its own head, with every cell current."""
    try:
        if kept_whole(raw):
            state = pydantic_core.from_json(raw)
            head = {**state, "current": {record: [0, cells] for record, cells in state.pop("records").items()}}
        elif raw[:4] == ZSTD_MAGIC:
            head = pydantic_core.from_json(_DECOMPRESS(raw))
        else:
            head = pydantic_core.from_json(zlib.decompress(raw))  # written before heads were zstd's
    except (ValueError, zlib.error, zstandard.ZstdError, KeyError, AttributeError, TypeError) as error:
        raise UnreadableState(f"unreadable pupil state: {error}") from error
    if not isinstance(head, dict) or not head.keys() >= HEAD_FIELDS:
        raise UnreadableState("unreadable pupil state: not a stored state's head")
    return head


def assemble(key: str, head: dict, read: Callable[[str], bytes | None]) -> PupilState:
    """The state from its head and the blocks `read` finds in the table."""
    records = {}
    for record, (settled, current) in head["current"].items():
        parts = []
        for block in range(0, settled, BLOCK):
            raw = read(_block_key(key, record, block))
            if raw is None:
                raise UnreadableState(f"a block of settled sessions is missing ({record}, block {block // BLOCK})")
            parts.append(raw.decode())
        settled_cells = "".join(parts)
        if len(settled_cells) != settled:
            raise UnreadableState(f"settled sessions of record {record} are {len(settled_cells)} long, not {settled}")
        records[record] = settled_cells + current
    return PupilState(
        school=head["school"],
        records=records,
        counts=head["counts"],
        latest=head["latest"],
        calendar=head["calendar"],
        alerts=head["alerts"],
    )
