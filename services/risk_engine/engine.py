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
    return {"school": school_urn, "records": {}, "counts": {}, "latest": None, "calendar": None, "alerts": {}}


def apply_mark(state: dict | None, mark: AttendanceMark, context: Context) -> tuple[dict, bool]:
    """Set the mark's session (the latest recording wins) and adjust the running counts.

    The state passed in is not modified. A new school starts a new enrolment; a changed
    calendar (new terms) recounts the totals from the sessions.
    """
    state = state or empty_state(mark.school_urn)
    records = dict(state["records"])
    changed, previous = attendance.apply_mark(
        records,
        mark.school_urn,
        mark.date,
        mark.session,
        mark.code,
        attendance.recorded_key(mark.recorded_at),
        context.table,
    )
    if not changed:
        return state, False
    days, table = context.days, context.table
    if state["calendar"] != days.version:
        counts = figures.recount(records, days, table)
    else:
        counts = {key: list(row) for key, row in state["counts"].items()}
        figures.adjust(counts, mark.school_urn, mark.date, previous, mark.code, days, table)
    latest = (
        max(state["latest"] or "", mark.date.isoformat())
        if mark.school_urn == state["school"]
        else mark.date.isoformat()
    )
    return {
        **state,
        "school": mark.school_urn,
        "records": records,
        "counts": counts,
        "latest": latest,
        "calendar": days.version,
    }, True


@dataclass(frozen=True)
class Evaluation:
    state: dict
    alerts: list[RiskAlert]
    figures: figures.Figures
    risk_score: int


def evaluate(pupil_id: str, state: dict, context: Context) -> Evaluation:
    school = state["school"]
    current = figures.compute(
        state["records"],
        state["counts"],
        school,
        dt.date.fromisoformat(state["latest"]) if state["latest"] else None,
        context.days,
        context.table,
        context.thresholds.unauthorised_window_school_days,
        context.thresholds.first_week_sessions,
    )
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
    return Evaluation({**state, "alerts": outcome.states}, outcome.alerts, current, risk.points)


def process_marks(state: dict | None, pupil_id: str, marks: list[AttendanceMark], context: Context) -> Step:
    """Evaluate after every mark that changes something, so the alerts are the same however the
    stream was cut into batches (and across restarts); the caller writes the state once."""
    alerts: list[RiskAlert] = []
    last = None
    for mark in marks:
        candidate, changed = apply_mark(state, mark, context)
        if changed:
            last = evaluate(pupil_id, candidate, context)
            state = last.state
            alerts.extend(last.alerts)
    if last is None:
        return Step(state, False, [], None)
    return Step(state, True, alerts, snapshot_of(pupil_id, state["school"], last.figures, last.risk_score))


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
