"""Marks in, new state and alerts out: the core the faust agent wraps. Pure.

State is per enrolment: one `PupilState` per (school, pupil), so a pupil who moves school
starts afresh at the new school and the old school's record is untouched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.risk_engine import attendance, decline, figures, lifecycle, rules, scoring
from services.risk_engine.state import PupilState, empty_state
from services.risk_engine.stored_state import BLOCK_SEPARATOR
from shared.calendar import SchoolDays
from shared.codes import CodeTable, UnknownCode
from shared.events import AttendanceMark, Characteristics, PupilAttendance, RiskAlert


@dataclass(frozen=True)
class Context:
    """What the engine reads besides the pupil's own marks."""

    table: CodeTable
    thresholds: rules.Thresholds
    days: SchoolDays
    characteristics: Characteristics | None = None
    alerts_from: dt.date | None = None  # hold alerts back for marks before this date (backfill)
    seasonal: decline.SeasonalReference = rules.no_reference  # the pupil's cohort (cohorts.py)


@dataclass(frozen=True)
class Step:
    state: PupilState | None
    changed: bool
    alerts: list[RiskAlert]
    snapshot: PupilAttendance | None


def refusal(mark: AttendanceMark, table: CodeTable, latest_allowed: dt.date) -> str | None:
    """Why the engine will not apply `mark`, or None. A mark dated in the future would move the
    pupil's evaluation date past every real mark and silence their alerts."""
    if BLOCK_SEPARATOR in mark.pupil_id or BLOCK_SEPARATOR in mark.school_urn:
        return f"pupil_id and school_urn may not contain {BLOCK_SEPARATOR!r} (it separates the engine's stored pieces)"
    try:
        table.lookup(mark.code)
    except UnknownCode as error:
        return str(error)
    if mark.date > latest_allowed:
        return f"dated {mark.date.isoformat()}, after the latest date accepted ({latest_allowed.isoformat()})"
    return None


def apply_mark(state: PupilState | None, mark: AttendanceMark, context: Context) -> tuple[PupilState, bool]:
    """Set the mark's session (the latest recording wins) and adjust the running counts.

    The state passed in is not modified. A changed calendar (new terms, closures) recounts
    the totals from the sessions. Only a mark on a school day moves the evaluation date.
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
    if state["calendar"] != figures.counts_version(days):
        counts = figures.recount(records, days, table)
        latest = _latest_school_day(records, days)
    else:
        counts = dict(state["counts"])  # adjust() replaces the rows it changes
        figures.adjust(counts, mark.school_urn, mark.date, previous, mark.code, days, table)
        latest = state["latest"]
        if days.is_school_day(mark.date):
            latest = max(latest or "", mark.date.isoformat())
    return PupilState(
        school=state["school"],
        records=records,
        counts=counts,
        latest=latest,
        calendar=figures.counts_version(days),
        alerts=state["alerts"],
    ), True


def _latest_school_day(records: attendance.Records, days: SchoolDays) -> str | None:
    marked = [day for _, day, _, _ in attendance.sessions_in(records) if days.is_school_day(day)]
    return max(marked).isoformat() if marked else None


@dataclass(frozen=True)
class Evaluation:
    state: PupilState
    alerts: list[RiskAlert]
    figures: figures.Figures
    risk_score: int


def figures_of(state: PupilState, context: Context) -> figures.Figures:
    """Everything the rules and the score read about the enrolment, as of its evaluation date."""
    return figures.compute(
        state["records"],
        state["counts"],
        state["school"],
        dt.date.fromisoformat(state["latest"]) if state["latest"] else None,
        context.days,
        context.table,
        window_school_days=context.thresholds.unauthorised_window_school_days,
        first_week_sessions=context.thresholds.first_week_sessions,
        decline_windows_school_days=context.thresholds.decline_windows_school_days,
    )


def evaluate(pupil_id: str, state: PupilState, context: Context) -> Evaluation:
    school = state["school"]
    current = figures_of(state, context)
    risk = scoring.score(current, context.characteristics)
    announce = context.alerts_from is None or (current.latest is not None and current.latest >= context.alerts_from)
    outcome = lifecycle.advance(
        lifecycle.Subject(pupil_id, school, current, risk, as_of=current.latest),
        state["alerts"],
        rules.evaluate(
            current,
            context.thresholds,
            days=context.days,
            seasonal=context.seasonal,
            open_rules=_open_rules(state, context.thresholds),
        ),
        announce,
    )
    return Evaluation({**state, "alerts": outcome.states}, outcome.alerts, current, risk.points)


def _open_rules(state: PupilState, thresholds: rules.Thresholds) -> frozenset[str]:
    """The rules with an open episode: only hysteresis reads them, so unasked when it is off."""
    if not thresholds.hysteresis:
        return frozenset()
    return frozenset(rule for rule, episode in state["alerts"].items() if episode["open"])


def process_marks(state: PupilState | None, pupil_id: str, marks: list[AttendanceMark], context: Context) -> Step:
    """Evaluate after every mark that changes something, so the alerts are the same however the
    stream was cut into batches (and across restarts); the caller writes the state once.

    Every mark must be for the same enrolment (school and pupil) and pass refusal()."""
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


def process_mark(state: PupilState | None, mark: AttendanceMark, context: Context) -> Step:
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
