"""Which days are school days, and which term a day is in, for one school. Pure.

Built from the school's `SchoolCalendar` events; a school without one falls back to
weekdays and English term months (autumn Sep-Dec, spring Jan-Mar, summer Apr-Aug), so
rules still work, less precisely, until its calendar arrives.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass, field

from shared.events import SchoolCalendar


def academic_year_of(day: dt.date) -> int:
    """The calendar year an academic year starts in (September)."""
    return day.year if day.month >= 9 else day.year - 1


@dataclass(frozen=True)
class TermSpan:
    key: str  # e.g. "2025/1-autumn"; sorts chronologically within and across years
    start: dt.date
    end: dt.date
    half_term_end: dt.date | None = None  # the last day of its half-term holiday


TERM_NAMES = ("1-autumn", "2-spring", "3-summer")
# Without a calendar, a term's second half starts on this (month, day).
FALLBACK_SECOND_HALF = {"1-autumn": (11, 1), "2-spring": (2, 23), "3-summer": (6, 1)}


def fallback_term(day: dt.date) -> str:
    name = TERM_NAMES[0] if day.month >= 9 else TERM_NAMES[1] if day.month <= 3 else TERM_NAMES[2]
    return f"{academic_year_of(day)}/{name}"


def previous_half_term(half_term_key: str) -> str:
    """The half-term before `half_term_key` ("2025/2-spring/1" -> "2025/1-autumn/2")."""
    term, half = half_term_key.rsplit("/", 1)
    return f"{term}/1" if half == "2" else f"{previous_term(term)}/2"


def previous_term(term_key: str) -> str:
    """The term before `term_key` in the calendar ("2025/1-autumn" -> "2024/3-summer")."""
    year, name = term_key.split("/")
    index = TERM_NAMES.index(name)
    return f"{year}/{TERM_NAMES[index - 1]}" if index else f"{int(year) - 1}/{TERM_NAMES[-1]}"


@dataclass(eq=False)
class SchoolDays:
    """School days and terms from a school's calendars (possibly several academic years).

    Answers are cached per instance: a new calendar makes a new instance (and `version`).
    """

    terms: list[TermSpan] = field(default_factory=list)
    closures: set[dt.date] = field(default_factory=set)
    half_terms: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    version: str = "weekdays"
    _term_cache: dict = field(default_factory=dict, repr=False)
    _back_cache: dict = field(default_factory=dict, repr=False)
    _school_day_cache: dict = field(default_factory=dict, repr=False)
    _half_term_cache: dict = field(default_factory=dict, repr=False)
    _term_start_cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_calendars(cls, calendars: list[SchoolCalendar]) -> SchoolDays:
        order = {name.split("-")[1]: name for name in TERM_NAMES}
        ordered = sorted(calendars, key=lambda c: c.academic_year)
        days = cls(version="|".join(c.event_id for c in ordered))
        for calendar in ordered:
            year = int(calendar.academic_year[:4])
            for term in calendar.terms:
                days.terms.append(TermSpan(f"{year}/{order[term.name]}", term.start, term.end, term.half_term_end))
                if term.half_term_start and term.half_term_end:
                    days.half_terms.append((term.half_term_start, term.half_term_end))
            days.closures.update(calendar.closures)
        days.terms.sort(key=lambda t: t.start)
        return days

    def _calendar_term(self, day: dt.date) -> TermSpan | None:
        starts = [term.start for term in self.terms]
        index = bisect_right(starts, day) - 1
        if index >= 0 and day <= self.terms[index].end:
            return self.terms[index]
        return None

    def covers(self, day: dt.date) -> bool:
        return bool(self.terms) and self.terms[0].start <= day <= self.terms[-1].end

    def term_of(self, day: dt.date) -> str | None:
        """The term `day` is in; None for a holiday the calendar knows about."""
        if day not in self._term_cache:
            if not self.covers(day):
                self._term_cache[day] = fallback_term(day)
            else:
                term = self._calendar_term(day)
                self._term_cache[day] = term.key if term else None
        return self._term_cache[day]

    def half_term_of(self, day: dt.date) -> str | None:
        """The half-term `day` is in, e.g. "2025/1-autumn/2" (after the October break); None outside the
        terms. A day in the half-term holiday itself counts in the first half (it is never a school day)."""
        if day not in self._half_term_cache:
            self._half_term_cache[day] = self._half_term(day)
        return self._half_term_cache[day]

    def _half_term(self, day: dt.date) -> str | None:
        term = self.term_of(day)
        if term is None:
            return None
        span = self._calendar_term(day) if self.covers(day) else None
        if span is not None:
            second = span.half_term_end is not None and day > span.half_term_end
        else:
            month, first_day = FALLBACK_SECOND_HALF[term.split("/")[1]]
            second = (day.month, day.day) >= (month, first_day)
        return f"{term}/{2 if second else 1}"

    def term_start(self, term_key: str) -> dt.date:
        if term_key not in self._term_start_cache:
            self._term_start_cache[term_key] = self._term_start(term_key)
        return self._term_start_cache[term_key]

    def _term_start(self, term_key: str) -> dt.date:
        for term in self.terms:
            if term.key == term_key:
                return term.start
        year, name = term_key.split("/")
        month = {"1-autumn": 9, "2-spring": 1, "3-summer": 4}[name]
        return dt.date(int(year) + (month < 9), month, 1)

    def is_school_day(self, day: dt.date) -> bool:
        """Whether the school is open: the calendar wins over the register (a mark on a closure
        day is not a possible session); without a calendar, every weekday."""
        known = self._school_day_cache.get(day)
        if known is None:
            known = self._school_day_cache[day] = self._open_on(day)
        return known

    def _open_on(self, day: dt.date) -> bool:
        if day.weekday() >= 5 or day in self.closures:
            return False
        if not self.covers(day):
            return True
        if any(start <= day <= end for start, end in self.half_terms):
            return False
        return self._calendar_term(day) is not None

    def school_days_back(self, last: dt.date, count: int) -> tuple[dt.date, ...]:
        """The `count` school days ending at `last`, oldest first."""
        key = (last, count)
        if key not in self._back_cache:
            days, day = [], last
            while len(days) < count and (last - day).days < count * 3:
                if self.is_school_day(day):
                    days.append(day)
                day -= dt.timedelta(days=1)
            self._back_cache[key] = tuple(days[::-1])
        return self._back_cache[key]

    def school_days_between(self, first: dt.date, last: dt.date) -> tuple[dt.date, ...]:
        """Every school day from `first` to `last`, both included."""
        key = ("between", first, last)
        if key not in self._back_cache:
            span = (last - first).days + 1
            every = (first + dt.timedelta(days=offset) for offset in range(max(0, span)))
            self._back_cache[key] = tuple(day for day in every if self.is_school_day(day))
        return self._back_cache[key]
