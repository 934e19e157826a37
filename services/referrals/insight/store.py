"""The reporting store: what insight keeps from the topics, in referrals' database.

Weekly counts per pupil (from attendance.marks, through the register's session changes) and per
school (the same changes summed, so the borough's trend reads a few thousand rows, not millions);
activities and who came to them (from activities and activity.attendance); each pupil's arm in
each round of messages to parents (from parent.rounds). Figures, contexts and
calendars are the tables referrals already keeps from pupil.attendance, pupil.context and
school.calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Index, delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, Session, SQLModel, select

from services.referrals.insight.weeks import SessionChange, WeekCounts, half_term_of_week, week_deltas
from services.referrals.registers import recorded
from shared import events
from shared.calendar_store import school_days, school_days_of
from shared.database import rows_with_keys


class CountColumns(SQLModel):
    possible: int = 0
    attended: int = 0
    authorised: int = 0
    unauthorised: int = 0


class PupilWeek(CountColumns, table=True):
    __tablename__ = "insight_pupil_week"
    school_urn: str = Field(primary_key=True)
    pupil_id: str = Field(primary_key=True)
    week_start: dt.date = Field(primary_key=True, description="The week's Monday")


class PupilHalfTerm(CountColumns, table=True):
    """Each pupil's weeks summed by half-term of their school's calendar; recounted from the weeks when a
    calendar arrives or changes."""

    __tablename__ = "insight_pupil_half_term"
    __table_args__ = (Index("ix_insight_pupil_half_term_school_half_term", "school_urn", "half_term"),)
    school_urn: str = Field(primary_key=True)
    pupil_id: str = Field(primary_key=True)
    half_term: str = Field(primary_key=True, description='e.g. "2025/1-autumn/2"')


class SchoolWeek(CountColumns, table=True):
    __tablename__ = "insight_school_week"
    school_urn: str = Field(primary_key=True)
    week_start: dt.date = Field(primary_key=True)


class ActivityRow(SQLModel, table=True):
    __tablename__ = "insight_activity"
    activity_id: str = Field(primary_key=True)
    name: str
    kind: str
    provider_id: int | None = None
    school_urn: str | None = None
    area_code: str | None = None


class ActivityAttendanceRow(SQLModel, table=True):
    __tablename__ = "insight_activity_attendance"
    activity_id: str = Field(primary_key=True)
    school_urn: str = Field(primary_key=True)
    pupil_id: str = Field(primary_key=True)
    date: dt.date = Field(primary_key=True)
    attended: bool
    recorded_at: str = Field(description="The latest recording's time (fixed-width UTC text): the latest wins")


class ParentRoundRow(SQLModel, table=True):
    """A flagged pupil's arm in a school's half-term round of parent messages (notifications decides it)."""

    __tablename__ = "insight_parent_round"
    school_urn: str = Field(primary_key=True)
    pupil_id: str = Field(primary_key=True)
    half_term_start: dt.date = Field(primary_key=True)
    arm: str
    hold_back_share: float


def record_parent_round_entry(session: Session, entry: events.ParentRoundEntry) -> None:
    """A round is made once, so an entry seen again (a replay, the outbox resent) is the same row."""
    session.merge(ParentRoundRow(**entry.model_dump(include=set(ParentRoundRow.model_fields))))


def record_weeks(session: Session, changes: Iterable[SessionChange]) -> None:
    """Move each changed session between its week's counts, for the pupil (by week and by half-term)
    and for the school."""
    deltas = week_deltas(changes)
    calendars = school_days_of(session, {school for school, _, _ in deltas})
    by_school: dict[tuple[str, dt.date], WeekCounts] = {}
    by_half_term: dict[tuple[str, str, str], WeekCounts] = {}
    for (school_urn, pupil_id, week), delta in deltas.items():
        by_school.setdefault((school_urn, week), WeekCounts()).merge(delta)
        key = (school_urn, pupil_id, half_term_of_week(calendars[school_urn], week))
        by_half_term.setdefault(key, WeekCounts()).merge(delta)
    _add(session, PupilWeek, ("school_urn", "pupil_id", "week_start"), deltas)
    _add(session, SchoolWeek, ("school_urn", "week_start"), by_school)
    _add(session, PupilHalfTerm, ("school_urn", "pupil_id", "half_term"), by_half_term)


def recount_half_terms(session: Session, school_urn: str) -> None:
    """A school's half-term counts again from its weeks, by its calendar as it now is."""
    session.flush()  # the calendar just recorded, and any weeks pending
    days = school_days(session, school_urn)
    session.execute(delete(PupilHalfTerm).where(PupilHalfTerm.school_urn == school_urn))
    sums: dict[tuple[str, str, str], WeekCounts] = {}
    for row in session.exec(select(PupilWeek).where(PupilWeek.school_urn == school_urn)):
        key = (school_urn, row.pupil_id, half_term_of_week(days, row.week_start))
        sums.setdefault(key, WeekCounts()).merge(row)
    session.add_all(
        PupilHalfTerm(school_urn=s, pupil_id=p, half_term=h, possible=c.possible, attended=c.attended,
                      authorised=c.authorised, unauthorised=c.unauthorised)
        for (s, p, h), c in sums.items()
    )  # fmt: skip


COUNTS = ("possible", "attended", "authorised", "unauthorised")


def _add(session: Session, model: type[CountColumns], key: tuple[str, ...], deltas: dict[tuple, WeekCounts]) -> None:
    """Add the deltas to their rows in one statement, creating rows as needed: an upsert that adds
    (SQLite and PostgreSQL both have INSERT ... ON CONFLICT DO UPDATE), so nothing is read first."""
    if not deltas:
        return
    table = model.__table__
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={name: table.c[name] + statement.excluded[name] for name in COUNTS}
    )
    rows = [dict(zip(key, keys, strict=True)) | {name: getattr(delta, name) for name in COUNTS}
            for keys, delta in deltas.items()]  # fmt: skip
    session.execute(statement, rows)


def record_activity(session: Session, activity: events.Activity) -> None:
    session.merge(ActivityRow(**activity.model_dump(include=set(ActivityRow.model_fields), mode="json")))


def record_activity_attendance(session: Session, rows: list[events.ActivityAttendance]) -> None:
    """The latest recording of each (activity, pupil, day) wins, whatever order they came in."""
    latest: dict[tuple, events.ActivityAttendance] = {}
    for row in rows:
        key = (row.activity_id, row.school_urn, row.pupil_id, row.date)
        if key not in latest or (recorded(row.recorded_at), row.attended) > (
            recorded(latest[key].recorded_at),
            latest[key].attended,
        ):
            latest[key] = row
    columns = (
        ActivityAttendanceRow.activity_id,
        ActivityAttendanceRow.school_urn,
        ActivityAttendanceRow.pupil_id,
        ActivityAttendanceRow.date,
    )
    stored = {
        (r.activity_id, r.school_urn, r.pupil_id, r.date): r for r in rows_with_keys(session, columns, list(latest))
    }
    for key, row in latest.items():
        at = recorded(row.recorded_at)
        current = stored.get(key)
        if current is None:
            session.add(ActivityAttendanceRow(activity_id=key[0], school_urn=key[1], pupil_id=key[2], date=key[3],
                                              attended=row.attended, recorded_at=at))  # fmt: skip
        elif (at, row.attended) > (current.recorded_at, current.attended):
            current.attended, current.recorded_at = row.attended, at
