"""An English academic year: three terms with half-terms, INSET days and bank holidays."""

from __future__ import annotations

import datetime as dt

from shared.events import SchoolCalendar, Term

D = dt.date


def academic_year(start_year: int = 2025) -> tuple[list[Term], list[dt.date]]:
    """Terms and closures shaped like a typical local-authority year (190 school days)."""
    y, z = start_year, start_year + 1
    terms = [
        Term(
            name="autumn", start=D(y, 9, 1), end=D(y, 12, 19), half_term_start=D(y, 10, 27), half_term_end=D(y, 10, 31)
        ),
        Term(name="spring", start=D(z, 1, 5), end=D(z, 3, 27), half_term_start=D(z, 2, 16), half_term_end=D(z, 2, 20)),
        Term(name="summer", start=D(z, 4, 13), end=D(z, 7, 21), half_term_start=D(z, 5, 25), half_term_end=D(z, 5, 29)),
    ]
    inset = [D(y, 9, 1), D(y, 9, 2), D(y, 11, 24), D(z, 1, 5), D(z, 6, 22), D(z, 7, 20)]
    bank_holidays = [D(z, 5, 4)]
    return terms, inset + bank_holidays


def school_calendar(school_urn: str, start_year: int = 2025) -> SchoolCalendar:
    terms, closures = academic_year(start_year)
    return SchoolCalendar(
        school_urn=school_urn,
        academic_year=f"{start_year}/{(start_year + 1) % 100:02d}",
        terms=terms,
        closures=closures,
    )


def school_days(terms: list[Term], closures: list[dt.date]) -> list[tuple[dt.date, str]]:
    """Every school day in order, with the name of its term."""
    closed = set(closures)
    days = []
    for term in terms:
        day = term.start
        while day <= term.end:
            in_half_term = term.half_term_start and term.half_term_start <= day <= term.half_term_end
            if day.weekday() < 5 and not in_half_term and day not in closed:
                days.append((day, term.name))
            day += dt.timedelta(days=1)
    return days
