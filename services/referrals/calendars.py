"""Calendar arithmetic for casework: school days in the KPIs' 10-school-day window, and which term a
referral's place belongs to."""

from __future__ import annotations

import datetime as dt

from shared.calendar import SchoolDays, fallback_term


def term_of(days: SchoolDays, day: dt.date) -> str:
    """The term a day belongs to; in a holiday, the term its months fall in."""
    return days.term_of(day) or fallback_term(day)


def school_days_between(days: SchoolDays, first: dt.date, last: dt.date) -> int:
    """School days after `first`, up to and including `last`."""
    return len(days.school_days_between(first + dt.timedelta(days=1), last)) if last > first else 0
