"""Marks in, new state and alerts out: the core the faust agent wraps. Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.risk_engine import attendance, figures, lifecycle, rules, scoring
from services.risk_engine.calendar import SchoolDays
from shared.codes import CodeTable
from shared.events import AttendanceMark, Characteristics, PupilAttendance, RiskAlert


@dataclass(frozen=True)
class Context:
    """What the engine reads besides the pupil's own marks."""

    table: CodeTable
    thresholds: rules.Thresholds
    days: SchoolDays
    characteristics: Characteristics | None = None
    alerts_from: dt.date | None = None  # hold alerts back for marks before this date (backfill)


@dataclass(frozen=True)
class Step:
    state: dict
    changed: bool
    alerts: list[RiskAlert]
    snapshot: PupilAttendance | None


def empty_state(school_urn: str) -> dict:
    return {"school": school_urn, "sessions": {}, "alerts": {}}


def apply_marks(state: dict | None, marks: list[AttendanceMark]) -> tuple[dict, bool]:
    """Set each mark's session (latest recording wins); the state is re-evaluated once after."""
    state = dict(state or empty_state(marks[0].school_urn))
    sessions = dict(state["sessions"])
    changed = False
    for mark in marks:
        slot = attendance.slot_of(mark.school_urn, mark.date, mark.session)
        changed |= attendance.apply_mark(sessions, slot, mark.code, attendance.recorded_key(mark.recorded_at))
        state["school"] = mark.school_urn  # a new school is a new enrolment
    state["sessions"] = sessions
    return state, changed


def evaluate(pupil_id: str, state: dict, context: Context) -> Step:
    school = state["school"]
    marks = figures.pupil_marks(state["sessions"], school, context.table)
    current = figures.compute(marks, context.days, context.table, context.thresholds.unauthorised_window_school_days)
    risk = scoring.score(current, context.characteristics)
    announce = context.alerts_from is None or (current.latest is not None and current.latest >= context.alerts_from)
    outcome = lifecycle.advance(
        pupil_id,
        school,
        state["alerts"],
        rules.evaluate(current, context.thresholds),
        current.as_dict(),
        risk,
        announce,
    )
    new_state = {**state, "alerts": outcome.states}
    return Step(new_state, True, outcome.alerts, snapshot_of(pupil_id, school, current, risk.points))


def process_marks(state: dict | None, pupil_id: str, marks: list[AttendanceMark], context: Context) -> Step:
    new_state, changed = apply_marks(state, marks)
    if not changed:
        return Step(state, False, [], None)
    return evaluate(pupil_id, new_state, context)


def process_mark(state: dict | None, mark: AttendanceMark, context: Context) -> Step:
    return process_marks(state, mark.pupil_id, [mark], context)


def snapshot_of(pupil_id: str, school_urn: str, current: figures.Figures, risk_score: int) -> PupilAttendance:
    year = current.year
    return PupilAttendance(
        pupil_id=pupil_id,
        school_urn=school_urn,
        possible=year.possible,
        attended=year.attended,
        authorised=year.authorised,
        unauthorised=year.unauthorised,
        attendance_rate=round(year.attendance_rate, 4),
        absence_rate=round(year.absence_rate, 4),
        last_date=current.latest,
        risk_score=risk_score,
    )
