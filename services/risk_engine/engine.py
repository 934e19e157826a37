"""One mark in, new state and alerts out: the core the faust agent wraps. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from services.risk_engine import attendance, lifecycle, rules
from shared.codes import CodeTable
from shared.events import AttendanceMark, PupilAttendance, RiskAlert


def empty_state(school_urn: str) -> dict:
    return {"school": school_urn, "sessions": {}, "alerts": {}}


@dataclass(frozen=True)
class Step:
    state: dict
    changed: bool
    alerts: list[RiskAlert]
    snapshot: PupilAttendance | None


def process_mark(state: dict | None, mark: AttendanceMark, table: CodeTable, thresholds: rules.Thresholds) -> Step:
    state = state or empty_state(mark.school_urn)
    sessions = dict(state["sessions"])
    changed = attendance.apply_mark(sessions, mark.session_key, mark.code, mark.recorded_at.isoformat())
    if not changed:
        return Step(state, False, [], None)
    figures = attendance.tally_sessions(sessions, table)
    snapshot = snapshot_of(mark.pupil_id, mark.school_urn, figures, sessions)
    outcome = lifecycle.advance(
        mark.pupil_id,
        mark.school_urn,
        state["alerts"],
        rules.evaluate(figures, thresholds),
        {"possible_sessions": figures.possible, "absence_rate": round(figures.absence_rate, 4)},
    )
    new_state = {"school": mark.school_urn, "sessions": sessions, "alerts": outcome.states}
    return Step(new_state, True, outcome.alerts, snapshot)


def snapshot_of(pupil_id: str, school_urn: str, figures: attendance.Tally, sessions: attendance.Sessions):
    last = max((slot.split("|")[1] for slot in sessions), default=None)
    return PupilAttendance(
        pupil_id=pupil_id,
        school_urn=school_urn,
        possible=figures.possible,
        attended=figures.attended,
        authorised=figures.authorised,
        unauthorised=figures.unauthorised,
        attendance_rate=round(figures.attendance_rate, 4),
        absence_rate=round(figures.absence_rate, 4),
        last_date=last,
    )
