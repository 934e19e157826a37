"""Each school's calendar (from school.calendar): which days count as school days for the KPIs'
10-school-day window, and which term a referral's place belongs to."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, select

from shared.calendar import SchoolDays, fallback_term
from shared.events import SchoolCalendar


class SchoolCalendarRow(SQLModel, table=True):
    school_urn: str = Field(primary_key=True)
    academic_year: str = Field(primary_key=True)
    calendar: dict = Field(sa_column=Column(JSON), description="The SchoolCalendar event, as JSON")


def record_calendar(session: Session, calendar: SchoolCalendar) -> None:
    session.merge(
        SchoolCalendarRow(
            school_urn=calendar.school_urn,
            academic_year=calendar.academic_year,
            calendar=calendar.model_dump(mode="json"),
        )
    )


def school_days(session: Session, school_urn: str) -> SchoolDays:
    rows = session.exec(select(SchoolCalendarRow).where(SchoolCalendarRow.school_urn == school_urn)).all()
    return SchoolDays.from_calendars([SchoolCalendar.model_validate(row.calendar) for row in rows])


def term_of(days: SchoolDays, day: dt.date) -> str:
    """The term a day belongs to; in a holiday, the term its months fall in."""
    return days.term_of(day) or fallback_term(day)


def school_days_between(days: SchoolDays, first: dt.date, last: dt.date) -> int:
    """School days after `first`, up to and including `last`."""
    return len(days.school_days_between(first + dt.timedelta(days=1), last)) if last > first else 0
