"""A pupil's sessions, and the arithmetic over them. Pure.

A pupil's record holds, per school and academic year, one string of fixed-width cells, one
cell per session from 1 September (AM, PM, AM, ...). A cell is the recording time (UTC
microseconds in fixed-width hex), the code (space-padded) and one character of flags saying
what the code counts as. Plain string comparison of cells orders two recordings: the later
time wins, ties broken by code (the flags follow from the code). Applying a mark is therefore
idempotent and order-independent: any permutation of the same marks, duplicates and
corrections included, yields the same record. The compact form keeps a pupil's state small
to store, and the flags let a window of school days be read and counted in a few C calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import cache, lru_cache
from typing import NamedTuple

from shared.calendar import academic_year_of
from shared.codes import Category, CodeTable

# "school|academic year" -> cells
Records = dict[str, str]

STAMP_WIDTH = 14  # hex microseconds since 1970: room until the year 4253; marks stop at 2199 (shared/events.py)
CODE_WIDTH = 2
FLAG_OFFSET = STAMP_WIDTH + CODE_WIDTH
CELL = FLAG_OFFSET + 1
EMPTY_CELL = " " * CELL  # sorts before every recording
NO_FLAGS = " "  # the flag character of an empty cell
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# Flag bits: what the window figures need to know of a session's code. Nothing reads RISING (N, L,
# U) since the risk score dropped rising marks; it stays in the stored cells' format, so that a
# stored cell and the same recording sent again still compare equal.
POSSIBLE, ABSENT, UNAUTHORISED, MISSING, RISING = 1, 2, 4, 8, 16
UNAUTHORISED_CODES = frozenset("GNOU")
MISSING_EDUCATION_CODES = frozenset("GNO")
RISING_CODES = frozenset("NLU")


def flag_char(bits: int) -> str:
    return chr(ord("0") + bits)


@cache
def code_flags(table: CodeTable) -> dict[str, str]:
    """Each code's flag character."""
    out = {}
    for code, entry in table.codes.items():
        bits = 0
        if entry.category.counts_as_possible:
            bits = (
                POSSIBLE
                | (ABSENT * entry.category.absent)
                | (UNAUTHORISED * (code in UNAUTHORISED_CODES))
                | (MISSING * (code in MISSING_EDUCATION_CODES))
                | (RISING * (code in RISING_CODES))
            )
        out[code] = flag_char(bits)
    return out


@lru_cache(maxsize=4096)  # a register's marks share their recording time
def recorded_key(recorded_at: dt.datetime) -> str:
    """The recording time as a fixed-width string that sorts like the time itself.

    Refuses a time the cell cannot hold rather than writing a wider cell that would shift every
    session after it (the wire contract keeps marks far inside the range).
    """
    micros = (recorded_at - _EPOCH) // dt.timedelta(microseconds=1)
    if not 0 <= micros < 16**STAMP_WIDTH:
        raise ValueError(f"recorded_at {recorded_at.isoformat()} does not fit a session cell")
    return f"{micros:0{STAMP_WIDTH}x}"


def record_key(school_urn: str, academic_year: int) -> str:
    return f"{school_urn}|{academic_year}"


def position(day: dt.date, session: str) -> tuple[int, int]:
    """(academic year, offset of the session's cell in that year's string)."""
    year = academic_year_of(day)
    index = (day - dt.date(year, 9, 1)).days * 2 + (session == "PM")
    return year, index * CELL


def apply_mark(
    records: Records, school_urn: str, day: dt.date, session: str, code: str, recorded: str, table: CodeTable
) -> tuple[bool, str | None]:
    """Record `code` for the session unless a later recording is already there (in place).

    Returns (changed, the code the session held before).
    """
    year, offset = position(day, session)
    key = record_key(school_urn, year)
    cells = records.get(key, "")
    candidate = f"{recorded}{code:<{CODE_WIDTH}}{code_flags(table)[code]}"
    current = cells[offset : offset + CELL] if offset < len(cells) else EMPTY_CELL
    if current >= candidate:
        return False, None
    if offset >= len(cells):
        cells += " " * (offset - len(cells)) + candidate
    else:
        cells = cells[:offset] + candidate + cells[offset + CELL :]
    records[key] = cells
    return True, current[STAMP_WIDTH:FLAG_OFFSET].rstrip() or None


def sessions_in(records: Records) -> Iterator[tuple[str, dt.date, str, str]]:
    """Every marked session: (school, date, "AM"/"PM", code)."""
    for key, cells in records.items():
        school, year = key.rsplit("|", 1)
        start = dt.date(int(year), 9, 1)
        for offset in range(0, len(cells), CELL):
            code = cells[offset + STAMP_WIDTH : offset + FLAG_OFFSET].rstrip()
            if code:
                index = offset // CELL
                yield school, start + dt.timedelta(days=index // 2), ("AM", "PM")[index % 2], code


class Tally(NamedTuple):  # a tuple: built for every term on every evaluation, so cheap to make
    possible: int = 0
    attended: int = 0
    authorised: int = 0
    unauthorised: int = 0

    @property
    def absent(self) -> int:
        return self.authorised + self.unauthorised

    @property
    def absence_rate(self) -> float:
        return self.absent / self.possible if self.possible else 0.0

    @property
    def attendance_rate(self) -> float:
        return self.attended / self.possible if self.possible else 0.0


def tally(codes, table: CodeTable) -> Tally:
    """Count possible, attended and absent sessions for some codes."""
    possible = attended = authorised = unauthorised = 0
    for code in codes:
        category = table.category(code)
        if not category.counts_as_possible:
            continue
        possible += 1
        if category.attended:
            attended += 1
        elif category is Category.AUTHORISED:
            authorised += 1
        else:
            unauthorised += 1
    return Tally(possible, attended, authorised, unauthorised)
