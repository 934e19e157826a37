"""Each school's calendars as a service keeps them from school.calendar (a row per school and
academic year), and the school days they make."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import JSON, Column, String, cast
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


def school_days_of(session: Session, schools: set[str]) -> dict[str, SchoolDays]:
    """Several schools' school days in one query; each built once per distinct set of calendars and then
    reused, as a consumer asks for the same schools batch after batch."""
    stored: dict[str, list[str]] = {school: [] for school in schools}
    rows = session.exec(
        select(SchoolCalendarRow.school_urn, cast(SchoolCalendarRow.calendar, String))
        .where(SchoolCalendarRow.school_urn.in_(schools))
        .order_by(SchoolCalendarRow.academic_year)
    )
    for school, text in rows:
        stored[school].append(text)
    return {school: _school_days_from(tuple(texts)) for school, texts in stored.items()}


@lru_cache(maxsize=1024)
def _school_days_from(calendars: tuple[str, ...]) -> SchoolDays:
    return SchoolDays.from_calendars([SchoolCalendar.model_validate_json(text) for text in calendars])
