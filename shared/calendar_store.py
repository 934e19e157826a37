"""Each school's calendars as a service keeps them from school.calendar (a row per school and
academic year), and the school days they make."""

from __future__ import annotations

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, select

from shared.calendar import SchoolDays
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
    """Every weekday, less what the calendars close, for a school whose calendar has not arrived."""
    rows = session.exec(select(SchoolCalendarRow).where(SchoolCalendarRow.school_urn == school_urn)).all()
    return SchoolDays.from_calendars([SchoolCalendar.model_validate(row.calendar) for row in rows])
