"""Each pupil's register counted by school week, from changes to their sessions. Pure.

A session's code may change (a correction); a change moves its session from one count to another,
so the weekly counts stay equal to counting the latest codes, whatever order the marks came in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from shared.calendar import SchoolDays
from shared.codes import Category, CodeTable, current_table

WeekKey = tuple[str, str, dt.date]  # school, pupil, the week's Monday


@dataclass(frozen=True)
class SessionChange:
    school_urn: str
    pupil_id: str
    date: dt.date
    before: str | None  # the code it had; None for a new session
    after: str


@dataclass
class WeekCounts:
    possible: int = 0
    attended: int = 0
    authorised: int = 0
    unauthorised: int = 0

    def add(self, category: Category, sign: int) -> None:
        if category.counts_as_possible:
            self.possible += sign
        if category.attended:
            self.attended += sign
        elif category is Category.AUTHORISED:
            self.authorised += sign
        elif category is Category.UNAUTHORISED:
            self.unauthorised += sign

    def merge(self, other) -> None:
        """Add another's counts (WeekCounts, or a stored row with the same four columns)."""
        self.possible += other.possible
        self.attended += other.attended
        self.authorised += other.authorised
        self.unauthorised += other.unauthorised

    @property
    def absent(self) -> int:
        return self.authorised + self.unauthorised


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def half_term_of_week(days: SchoolDays, monday: dt.date) -> str:
    """The half-term a week's sessions belong to: its first school day's (half-terms are separated by
    holidays, so a week never holds two); for a week with no school day, its Monday's."""
    for offset in range(5):
        day = monday + dt.timedelta(days=offset)
        if days.is_school_day(day):
            return days.half_term_of(day) or ""
    return days.half_term_of(monday) or ""


def week_deltas(changes: Iterable[SessionChange], table: CodeTable | None = None) -> dict[WeekKey, WeekCounts]:
    """What the changes add to each pupil's weeks (negative where a code moved out of a count)."""
    table = table or current_table()
    deltas: dict[WeekKey, WeekCounts] = {}
    for change in changes:
        if change.before == change.after:
            continue
        counts = deltas.setdefault((change.school_urn, change.pupil_id, week_of(change.date)), WeekCounts())
        if change.before is not None:
            counts.add(table.category(change.before), -1)
        counts.add(table.category(change.after), +1)
    return deltas
