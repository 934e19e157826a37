"""Everything the rules and the risk score read about a pupil. Pure.

Year, term and half-term totals are kept as running counts in the pupil's state and adjusted when a
session's code changes (take the old code out, put the new one in), so they always equal
a recount of the latest codes; window figures (the last ten school weeks, the decline's last
six, the first week of term) are read straight from the sessions for the few days they cover.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from services.risk_engine.attendance import (
    ABSENT,
    FLAG_OFFSET,
    MISSING,
    NO_FLAGS,
    POSSIBLE,
    UNAUTHORISED,
    Records,
    Tally,
    flag_char,
    position,
    record_key,
    sessions_in,
)
from shared.calendar import SchoolDays, academic_year_of
from shared.codes import Category, CodeTable

# Running counts: key -> [possible, attended, authorised, unauthorised]
Counts = dict[str, list[int]]

ALL_FLAGS = [flag_char(bits) for bits in range(32)]
# str.translate tables over a string of flag characters: keep those with a bit (len() counts
# them), or turn possible sessions into "a" (absent) and "p" (present), dropping the rest.
ONLY = {
    bit: str.maketrans("", "", NO_FLAGS + "".join(c for b, c in enumerate(ALL_FLAGS) if not b & bit))
    for bit in (POSSIBLE, UNAUTHORISED, MISSING)
}
ABSENT_OR_PRESENT = str.maketrans(
    {NO_FLAGS: None} | {c: ("a" if b & ABSENT else "p") if b & POSSIBLE else None for b, c in enumerate(ALL_FLAGS)}
)


@lru_cache(maxsize=4096)
def counts_version(days: SchoolDays) -> str:
    """What a state's counts were made with: the calendar and which periods are counted, so that a
    state counted before half-terms were (or under an older calendar) is recounted."""
    return f"{days.version}+half-terms"


@lru_cache(maxsize=65536)
def count_keys(school_urn: str, day: dt.date, days: SchoolDays) -> tuple[str, ...]:
    """The running counts a session on `day` belongs to (its year, term and half-term): none when
    the school was not open."""
    if not days.is_school_day(day):
        return ()
    term = days.term_of(day)
    year_key = f"{school_urn}|Y|{academic_year_of(day)}"
    if not term:
        return (year_key,)
    return year_key, f"{school_urn}|T|{term}", f"{school_urn}|H|{days.half_term_of(day)}"


NOTHING = (0, 0, 0, 0)


def contribution(code: str | None, table: CodeTable) -> tuple[int, int, int, int]:
    """What one session with `code` adds to each running count (nothing for no code)."""
    category = table.category(code) if code else None
    if category is None or not category.counts_as_possible:
        return NOTHING
    return (
        1,
        int(category.attended),
        int(category is Category.AUTHORISED),
        int(category is Category.UNAUTHORISED),
    )


@lru_cache(maxsize=1024)
def change(old_code: str | None, new_code: str, table: CodeTable) -> tuple[int, int, int, int]:
    """What moving a session from `old_code` to `new_code` adds to each running count: NOTHING itself
    when it adds nothing."""
    added, removed = contribution(new_code, table), contribution(old_code, table)
    moved = tuple(new - old for new, old in zip(added, removed, strict=True))
    return moved if any(moved) else NOTHING


def adjust(
    counts: Counts, school: str, day: dt.date, old_code: str | None, new_code: str, days: SchoolDays, table: CodeTable
) -> None:
    """Move one session from its old code to its new one in the running counts. Rows are replaced,
    never changed in place, so a shallow copy of `counts` leaves the original as it was. Every
    period a session on a school day falls in has a row, even one that counts nothing."""
    moved = change(old_code, new_code, table)
    for key in count_keys(school, day, days):
        row = counts.get(key)
        if row is None:
            counts[key] = list(moved)
        elif moved is not NOTHING:
            counts[key] = [value + part for value, part in zip(row, moved, strict=True)]


def recount(records: Records, days: SchoolDays, table: CodeTable) -> Counts:
    """Counts from scratch, e.g. when a school's calendar (its terms) changes."""
    counts: Counts = {}
    for school, day, _, code in sessions_in(records):
        adjust(counts, school, day, None, code, days, table)
    return counts


FlagGetters = list[tuple[int, itemgetter, int]]


def _flag_getters(days: tuple[dt.date, ...]) -> FlagGetters:
    """Per academic year the days fall in: (year, a getter of their flag characters, AM then
    PM, from that year's cells, the length the cells must have for it)."""
    offsets: dict[int, list[int]] = {}
    for day in days:
        for session in ("AM", "PM"):
            year, offset = position(day, session)
            offsets.setdefault(year, []).append(offset + FLAG_OFFSET)
    return [(year, itemgetter(*found), max(found) + 1) for year, found in offsets.items()]


# Keyed by the calendar object (identity-hashed) and a date: cheap keys on a hot path.
@lru_cache(maxsize=65536)
def _days_back(days: SchoolDays, last: dt.date, count: int) -> FlagGetters:
    return _flag_getters(days.school_days_back(last, count))


@lru_cache(maxsize=4096)
def _days_between(days: SchoolDays, first: dt.date, last: dt.date) -> FlagGetters:
    return _flag_getters(days.school_days_between(first, last))


LONG_RUN_SCHOOL_DAYS = 400  # how far back a missing-education run is followed past the window


def session_flags(records: Records, school: str, getters: FlagGetters) -> str:
    """Two flag characters per day (AM, PM); a space for a session with no mark."""
    parts = []
    for year, getter, needed in getters:
        cells = records.get(record_key(school, year), "")
        parts.append("".join(getter(cells if len(cells) >= needed else cells.ljust(needed))))
    return "".join(parts)


class DeclineWindow(NamedTuple):
    """The last few school days, as the decline rule reads them."""

    school_days: int  # the window's length
    start: dt.date
    possible: int
    absent: int
    spells: int  # separate runs of absent sessions


def _tally(row: list[int] | None) -> Tally:
    return Tally(*row[:4]) if row else Tally()


class Figures(NamedTuple):  # a tuple: made on every evaluation, so cheap to make
    latest: dt.date | None = None
    year: Tally = Tally()  # academic year to date, this enrolment
    terms: dict[str, list[int]] = {}  # read only: term key -> its running counts
    current_term: str | None = None
    half_terms: dict[str, list[int]] = {}  # read only: half-term key -> its running counts
    current_half_term: str | None = None
    first_week_absences: int = 0  # in the pupil's own first 10 possible sessions of the current term
    first_week_possible: int = 0
    unauthorised_recent: int = 0  # G N O U sessions in the window of school days
    missing_streak_days: int = 0  # trailing school days with every possible session G, N or O
    decline_windows: tuple[DeclineWindow, ...] = ()  # in the order the lines list them
    history: tuple[int, int] = (0, 0)  # possible and absent sessions this year and last, at this school

    def term_tally(self, term_key: str) -> Tally:
        return _tally(self.terms.get(term_key))

    def as_dict(self) -> dict[str, float]:
        return {
            "possible_sessions": self.year.possible,
            "absent_sessions": self.year.absent,
            "unauthorised_sessions": self.year.unauthorised,
            "absence_rate": round(self.year.absence_rate, 4),
            "attendance_rate": round(self.year.attendance_rate, 4),
        }


def compute(
    records: Records,
    counts: Counts,
    school: str,
    latest: dt.date | None,
    days: SchoolDays,
    table: CodeTable,
    window_school_days: int = 50,
    first_week_sessions: int = 10,
    decline_windows_school_days: tuple[int, ...] = (30,),
) -> Figures:
    if latest is None:
        return Figures()

    year_row = counts.get(f"{school}|Y|{academic_year_of(latest)}")
    year = _tally(year_row)
    terms, half_terms = _by_period(counts, school)
    current_term = days.term_of(latest)
    first_week = ""  # "a"/"p" for each of the pupil's own first possible sessions of the term
    if current_term:
        term_so_far = _days_between(days, days.term_start(current_term), latest)
        first_week = session_flags(records, school, term_so_far).translate(ABSENT_OR_PRESENT)[:first_week_sessions]

    window = session_flags(records, school, _days_back(days, latest, window_school_days))
    decline_windows = tuple(
        [
            found
            for length in decline_windows_school_days
            if (found := _decline_window(records, school, latest, days, length, window)) is not None
        ]
    )
    missing_streak, run_reaches_start = _missing_streak(window)
    if run_reaches_start:
        longer = session_flags(records, school, _days_back(days, latest, LONG_RUN_SCHOOL_DAYS))
        missing_streak, _ = _missing_streak(longer)
    return Figures(
        latest=latest,
        year=year,
        terms=terms,
        current_term=current_term,
        half_terms=half_terms,
        current_half_term=days.half_term_of(latest),
        first_week_absences=first_week.count("a"),
        first_week_possible=len(first_week),
        unauthorised_recent=len(window.translate(ONLY[UNAUTHORISED])),
        missing_streak_days=missing_streak,
        decline_windows=decline_windows,
        history=_history(year, counts.get(f"{school}|Y|{academic_year_of(latest) - 1}")),
    )


def _decline_window(
    records: Records, school: str, latest: dt.date, days: SchoolDays, length: int, window: str
) -> DeclineWindow | None:
    """The last `length` school days, read from the tail of `window` (the last school days' flags,
    already read) when it covers them."""
    decline_days = days.school_days_back(latest, length)
    if not decline_days:
        return None
    if 2 * len(decline_days) <= len(window):
        flags = window[-2 * len(decline_days) :]
    else:
        flags = session_flags(records, school, _days_back(days, latest, length))
    sessions = flags.translate(ABSENT_OR_PRESENT)
    return DeclineWindow(
        school_days=len(decline_days),
        start=decline_days[0],
        possible=len(sessions),
        absent=sessions.count("a"),
        # Separate runs of absence; sessions that are not possible neither break nor extend one.
        spells=("p" + sessions).count("pa"),
    )


def _history(year: Tally, last_year: list[int] | None) -> tuple[int, int]:
    before = _tally(last_year)
    return year.possible + before.possible, year.absent + before.absent


def _by_period(counts: Counts, school: str) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """The term and the half-term counts, keyed by the period alone."""
    terms, half_terms = {}, {}
    start = len(school) + 3  # after "school|T|"
    for key, row in counts.items():
        kind = key[start - 2]
        if kind == "T":
            terms[key[start:]] = row
        elif kind == "H":
            half_terms[key[start:]] = row
    return terms, half_terms


def _missing_streak(window: str) -> tuple[int, bool]:
    """School days, back from the latest, on which every possible session was G, N or O; and whether
    that run reaches the window's start. A day with no possible session (closure, Y codes, D, X, or
    no mark yet) neither counts nor breaks the run."""
    streak = 0
    for index in range(len(window) - 2, -1, -2):
        possible = window[index : index + 2].translate(ONLY[POSSIBLE])
        if not possible:
            continue
        if len(possible.translate(ONLY[MISSING])) != len(possible):
            return streak, False
        streak += 1
    return streak, True
