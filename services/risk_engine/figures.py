"""Everything the rules and the risk score read about a pupil. Pure.

Year and term totals are kept as running counts in the pupil's state and adjusted when a
session's code changes (take the old code out, put the new one in), so they always equal
a recount of the latest codes; window figures (the last ten school weeks, the first week
of term) are read straight from the sessions for the few days they cover.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache

from services.risk_engine.attendance import Sessions, Tally, code_in, slot_of
from services.risk_engine.calendar import SchoolDays, academic_year_of
from shared.codes import Category, CodeTable

UNAUTHORISED = frozenset("GNOU")
MISSING_EDUCATION_CODES = frozenset("GNO")
RISING_CODES = frozenset("NLU")
RECENT_SCHOOL_DAYS = 20  # "the rolling 4-week rate"

# Running counts: key -> [possible, attended, authorised, unauthorised, N/L/U marks, Monday/Friday absences]
Counts = dict[str, list[int]]


def count_keys(school_urn: str, day: dt.date, days: SchoolDays) -> list[str]:
    keys = [f"{school_urn}|Y|{academic_year_of(day)}"]
    term = days.term_of(day)
    if term:
        keys.append(f"{school_urn}|T|{term}")
    return keys


def contribution(code: str, day: dt.date, table: CodeTable) -> list[int] | None:
    category = table.category(code)
    if not category.counts_as_possible:
        return None
    absent = category.absent
    return [
        1,
        int(category.attended),
        int(category is Category.AUTHORISED),
        int(category is Category.UNAUTHORISED),
        int(code in RISING_CODES),
        int(absent and day.weekday() in (0, 4)),
    ]


def adjust(counts: Counts, slot: str, old_code: str | None, new_code: str, days: SchoolDays, table: CodeTable) -> None:
    """Move one session from its old code to its new one in the running counts (in place)."""
    school, date, _ = slot.split("|")
    day = dt.date.fromisoformat(date)
    for key in count_keys(school, day, days):
        row = counts.setdefault(key, [0] * 6)
        for sign, code in ((-1, old_code), (1, new_code)):
            part = contribution(code, day, table) if code else None
            if part:
                for index, value in enumerate(part):
                    row[index] += sign * value


def recount(sessions: Sessions, days: SchoolDays, table: CodeTable) -> Counts:
    """Counts from scratch, e.g. when a school's calendar (its terms) changes."""
    counts: Counts = {}
    for slot, value in sessions.items():
        adjust(counts, slot, None, code_in(value), days, table)
    return counts


@dataclass(frozen=True, slots=True)
class CodeFlags:
    absent: bool
    unauthorised: bool  # G N O U
    missing: bool  # G N O
    rising: bool  # N L U


@cache
def possible_code_flags(table: CodeTable) -> dict[str, CodeFlags]:
    """Per code that counts as possible, the facts the window figures need (a hot path)."""
    return {
        code: CodeFlags(
            entry.category.absent, code in UNAUTHORISED, code in MISSING_EDUCATION_CODES, code in RISING_CODES
        )
        for code, entry in table.codes.items()
        if entry.category.counts_as_possible
    }


@cache
def _day_slots(school: str, day: dt.date) -> tuple[str, str]:
    return slot_of(school, day, "AM"), slot_of(school, day, "PM")


def _tally(row: list[int] | None) -> Tally:
    return Tally(*row[:4]) if row else Tally()


@dataclass(frozen=True)
class Figures:
    latest: dt.date | None = None
    year: Tally = Tally()  # academic year to date, this enrolment
    terms: list[tuple[str, Tally]] = field(default_factory=list)  # chronological, all years held
    current_term: str | None = None
    first_week_absences: int = 0  # in the first 10 possible sessions of the current term
    first_week_possible: int = 0
    unauthorised_recent: int = 0  # G N O U sessions in the window of school days
    missing_streak_days: int = 0  # trailing school days with every possible session G, N or O
    spells: int = 0  # separate runs of absent sessions in the window
    monday_friday_share: float = 0.0  # of this year's absent sessions
    recent_rate: float = 0.0  # absence over the last 20 school days
    baseline_rate: float = 0.0  # absence this year before those 20 days
    rising_recent: int = 0  # N, L and U marks in the last 20 school days
    rising_before: float = 0.0  # the same, per 20 school days, earlier this year

    def as_dict(self) -> dict[str, float]:
        return {
            "possible_sessions": self.year.possible,
            "absent_sessions": self.year.absent,
            "unauthorised_sessions": self.year.unauthorised,
            "absence_rate": round(self.year.absence_rate, 4),
            "attendance_rate": round(self.year.attendance_rate, 4),
        }


def compute(
    sessions: Sessions,
    counts: Counts,
    school: str,
    latest: dt.date | None,
    days: SchoolDays,
    table: CodeTable,
    window_school_days: int = 50,
    first_week_sessions: int = 10,
) -> Figures:
    if latest is None:
        return Figures()

    flags = possible_code_flags(table)

    def codes_on(day: dt.date) -> list[CodeFlags]:
        found = []
        for slot in _day_slots(school, day):
            value = sessions.get(slot)
            if value is not None:
                flag = flags.get(value[value.rindex("|") + 1 :])
                if flag is not None:
                    found.append(flag)
        return found

    year_row = counts.get(f"{school}|Y|{academic_year_of(latest)}")
    year = _tally(year_row)
    prefix = f"{school}|T|"
    terms = sorted((key.removeprefix(prefix), _tally(row)) for key, row in counts.items() if key.startswith(prefix))
    current_term = days.term_of(latest)
    first_week: list[CodeFlags] = []
    if current_term:
        for day in days.school_days_from(days.term_start(current_term), first_week_sessions):
            first_week.extend(codes_on(day))
        first_week = first_week[:first_week_sessions]

    window = days.school_days_back(latest, window_school_days)
    window_codes = [(day, codes_on(day)) for day in window]
    recent = [flag for _, found in window_codes[-RECENT_SCHOOL_DAYS:] for flag in found]
    recent_possible = len(recent)
    recent_absent = sum(flag.absent for flag in recent)
    recent_rising = sum(flag.rising for flag in recent)
    before_possible = max(0, year.possible - recent_possible)
    before_days = max(1, before_possible // 2)
    rising_year = year_row[4] if year_row else 0

    return Figures(
        latest=latest,
        year=year,
        terms=terms,
        current_term=current_term,
        first_week_absences=sum(flag.absent for flag in first_week),
        first_week_possible=len(first_week),
        unauthorised_recent=sum(flag.unauthorised for _, found in window_codes for flag in found),
        missing_streak_days=_missing_streak(window_codes),
        spells=_spells(window_codes),
        monday_friday_share=(year_row[5] / year.absent) if year_row and year.absent else 0.0,
        recent_rate=recent_absent / recent_possible if recent_possible else 0.0,
        baseline_rate=(year.absent - recent_absent) / before_possible if before_possible else 0.0,
        rising_recent=recent_rising,
        rising_before=max(0, rising_year - recent_rising) * RECENT_SCHOOL_DAYS / before_days,
    )


def _spells(window_codes) -> int:
    spells, absent_before = 0, False
    for _, found in window_codes:
        for flag in found:
            spells += flag.absent and not absent_before
            absent_before = flag.absent
    return spells


def _missing_streak(window_codes) -> int:
    """Consecutive school days, back from the latest, on which every possible session was G, N or O."""
    streak = 0
    for _, found in reversed(window_codes):
        if not found or not all(flag.missing for flag in found):
            break
        streak += 1
    return streak
