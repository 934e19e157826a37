"""Each pupil's register at each school, from attendance.marks: one row per session with its code (the
latest recording wins, as in the risk engine) and the code it was first recorded with, so a correction
shows. The staff pages draw the pupil's chart and calendar from it; nothing reads the risk engine's
tables."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index
from sqlmodel import Field, Session, SQLModel

from services.referrals.insight.weeks import SessionChange
from shared.database import rows_with_keys
from shared.events import AttendanceMark

# [the latest code, its recording time, the first code recorded, its time]: times as fixed-width UTC
# text, so the latest and the first are the same whatever order the marks arrived in.
Cell = list
SessionKey = tuple[str, str, dt.date, str]  # school, pupil, date, AM or PM
Register = dict[tuple[dt.date, str], Cell]  # one pupil's sessions: (date, AM or PM) -> cell


class RegisterSession(SQLModel, table=True):
    __tablename__ = "register_session"
    # Reconciliation counts a day's marks across every school each minute: by date, not a table scan.
    __table_args__ = (Index("ix_register_session_date_session", "date", "session"),)
    school_urn: str = Field(primary_key=True)
    pupil_id: str = Field(primary_key=True)
    date: dt.date = Field(primary_key=True)
    session: str = Field(primary_key=True, description="AM or PM")
    code: str = Field(description="The latest recording's code")
    recorded_at: str = Field(description="When the latest recording was made (fixed-width UTC text)")
    first_code: str = Field(description="The code first recorded; differs from code after a correction")
    first_recorded_at: str

    @classmethod
    def of(cls, key: SessionKey, cell: Cell) -> RegisterSession:
        school_urn, pupil_id, day, half = key
        return cls(school_urn=school_urn, pupil_id=pupil_id, date=day, session=half,
                   code=cell[0], recorded_at=cell[1], first_code=cell[2], first_recorded_at=cell[3])  # fmt: skip

    @property
    def cell(self) -> Cell:
        return [self.code, self.recorded_at, self.first_code, self.first_recorded_at]


def recorded(moment: dt.datetime) -> str:
    """A recording time as text that sorts like the time itself."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_marks(session: Session, marks: list[AttendanceMark]) -> list[SessionChange]:
    """Apply marks: one read for the batch's sessions, then one write for each; idempotent and
    order-independent. Returns how each session's latest code changed, for the weekly counts."""
    merged: dict[SessionKey, Cell] = {}
    for mark in marks:
        key = (mark.school_urn, mark.pupil_id, mark.date, mark.session)
        merged[key] = merge_recording(merged.get(key), mark.code, recorded(mark.recorded_at))
    columns = (RegisterSession.school_urn, RegisterSession.pupil_id, RegisterSession.date, RegisterSession.session)
    stored = {(r.school_urn, r.pupil_id, r.date, r.session): r for r in rows_with_keys(session, columns, list(merged))}
    changes = []
    for key, cell in merged.items():
        row = stored.get(key)
        before = row.code if row is not None else None
        if row is None:
            session.add(RegisterSession.of(key, cell))
        else:
            row.code, row.recorded_at, row.first_code, row.first_recorded_at = combine(row.cell, cell)
        after = cell[0] if row is None else row.code
        if after != before:
            changes.append(SessionChange(key[0], key[1], key[2], before, after))
    return changes


# What a page reads of a session: read as plain columns, as pages read hundreds of pupils' sessions.
CELL_COLUMNS = (RegisterSession.date, RegisterSession.session, RegisterSession.code, RegisterSession.recorded_at,
                RegisterSession.first_code, RegisterSession.first_recorded_at)  # fmt: skip


def register_of(session: Session, school_urn: str, pupil_id: str, first: dt.date, last: dt.date) -> Register:
    """A pupil's sessions at a school from `first` to `last`."""
    return registers_of(session, [(school_urn, pupil_id)], first, last)[(school_urn, pupil_id)]


def registers_of(
    session: Session, keys: list[tuple[str, str]], first: dt.date, last: dt.date
) -> dict[tuple[str, str], Register]:
    """Many pupils' sessions from `first` to `last`, by (school, pupil): one query for a page."""
    registers: dict[tuple[str, str], Register] = {key: {} for key in keys}
    columns = (RegisterSession.school_urn, RegisterSession.pupil_id)
    reading = (*columns, *CELL_COLUMNS)
    window = RegisterSession.date.between(first, last)
    for school_urn, pupil_id, day, half, *cell in rows_with_keys(session, columns, keys, window, reading=reading):
        registers[(school_urn, pupil_id)][(day, half)] = cell
    return registers


def merge_recording(current: Cell | None, code: str, at: str) -> Cell:
    if current is None:
        return [code, at, code, at]
    latest_code, latest_at, first_code, first_at = current
    if (at, code) > (latest_at, latest_code):
        latest_code, latest_at = code, at
    if (at, code) < (first_at, first_code):
        first_code, first_at = code, at
    return [latest_code, latest_at, first_code, first_at]


def combine(stored: Cell, more: Cell) -> Cell:
    """Two cells of one session as one: the latest of both and the first of both."""
    return merge_recording(merge_recording(stored, more[0], more[1]), more[2], more[3])


def corrected_from(cell: Cell) -> str | None:
    """The code a session was first recorded with, when a correction changed it."""
    return cell[2] if cell[2] != cell[0] else None
