"""Everything the rules and the risk score read about a pupil, from their sessions. Pure."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from services.risk_engine.attendance import Sessions, Tally, code_in, tally
from services.risk_engine.calendar import SchoolDays, academic_year_of
from shared.codes import Category, CodeTable

UNAUTHORISED = frozenset("GNOU")
MISSING_EDUCATION_CODES = frozenset("GNO")
RISING_CODES = frozenset("NLU")


@dataclass(frozen=True)
class Mark:
    date: dt.date
    session: str
    code: str
    category: Category


@dataclass(frozen=True)
class Figures:
    latest: dt.date | None = None
    year: Tally = Tally()  # academic year to date, this enrolment
    terms: list[tuple[str, Tally]] = field(default_factory=list)  # chronological, all years held
    current_term: str | None = None
    first_week_absences: int = 0  # in the first 10 possible sessions of the current term
    first_week_possible: int = 0
    unauthorised_recent: int = 0  # G N O U sessions in the last N school days
    missing_streak_days: int = 0  # trailing school days with every possible session G, N or O
    spells: int = 0  # separate runs of absent sessions this year
    monday_friday_share: float = 0.0  # of this year's absent sessions
    recent_rate: float = 0.0  # absence over the last 20 school days
    baseline_rate: float = 0.0  # absence this year before those 20 days
    rising_recent: int = 0  # N, L and U sessions in the last 20 school days
    rising_before: float = 0.0  # the same, per 20 school days, earlier this year

    def as_dict(self) -> dict[str, float]:
        return {
            "possible_sessions": self.year.possible,
            "absent_sessions": self.year.absent,
            "unauthorised_sessions": self.year.unauthorised,
            "absence_rate": round(self.year.absence_rate, 4),
            "attendance_rate": round(self.year.attendance_rate, 4),
        }


def pupil_marks(sessions: Sessions, school_urn: str, table: CodeTable) -> list[Mark]:
    """This enrolment's marks in date and session order."""
    marks = []
    for slot, value in sessions.items():
        school, date, session = slot.split("|")
        if school == school_urn:
            code = code_in(value)
            marks.append(Mark(dt.date.fromisoformat(date), session, code, table.category(code)))
    marks.sort(key=lambda m: (m.date, m.session))
    return marks


def compute(marks: list[Mark], days: SchoolDays, table: CodeTable, recent_school_days: int = 50) -> Figures:
    if not marks:
        return Figures()
    latest = marks[-1].date
    this_year = academic_year_of(latest)
    year_marks = [m for m in marks if academic_year_of(m.date) == this_year]
    possible = [m for m in marks if m.category.counts_as_possible]

    by_term: dict[str, list[Mark]] = defaultdict(list)
    for mark in possible:
        term = days.term_of(mark.date)
        if term:
            by_term[term].append(mark)
    terms = sorted((key, tally([m.code for m in ms], table)) for key, ms in by_term.items())
    current_term = days.term_of(latest)
    first_week = by_term.get(current_term, [])[:10] if current_term else []

    window = days.school_days_back(latest, recent_school_days)
    window_start = window[0] if window else latest
    last_20 = days.school_days_back(latest, 20)
    recent_start = last_20[0] if last_20 else latest
    year_possible = [m for m in year_marks if m.category.counts_as_possible]
    recent = [m for m in year_possible if m.date >= recent_start]
    before = [m for m in year_possible if m.date < recent_start]
    absent_year = [m for m in year_possible if m.category.absent]
    school_days_before = max(1, len({m.date for m in before}))

    return Figures(
        latest=latest,
        year=tally([m.code for m in year_marks], table),
        terms=terms,
        current_term=current_term,
        first_week_absences=sum(m.category.absent for m in first_week),
        first_week_possible=len(first_week),
        unauthorised_recent=sum(m.code in UNAUTHORISED for m in possible if m.date >= window_start),
        missing_streak_days=_missing_streak(possible, days),
        spells=_spells(year_possible),
        monday_friday_share=(
            sum(m.date.weekday() in (0, 4) for m in absent_year) / len(absent_year) if absent_year else 0.0
        ),
        recent_rate=_rate(recent),
        baseline_rate=_rate(before),
        rising_recent=sum(m.code in RISING_CODES for m in recent),
        rising_before=sum(m.code in RISING_CODES for m in before) * 20 / school_days_before,
    )


def _rate(marks: list[Mark]) -> float:
    return sum(m.category.absent for m in marks) / len(marks) if marks else 0.0


def _spells(possible: list[Mark]) -> int:
    spells, absent_before = 0, False
    for mark in possible:
        absent = mark.category.absent
        spells += absent and not absent_before
        absent_before = absent
    return spells


def _missing_streak(possible: list[Mark], days: SchoolDays) -> int:
    """Consecutive school days, back from the latest, on which every possible session was G, N or O."""
    by_day: dict[dt.date, list[str]] = defaultdict(list)
    for mark in possible:
        by_day[mark.date].append(mark.code)
    if not by_day:
        return 0
    streak, day = 0, max(by_day)
    while True:
        codes = by_day.get(day)
        if not codes or not all(code in MISSING_EDUCATION_CODES for code in codes):
            return streak
        streak += 1
        previous = days.school_days_back(day - dt.timedelta(days=1), 1)
        if not previous:
            return streak
        day = previous[0]
