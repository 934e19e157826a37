"""Building marks and running the pure engine over them, for the rule tests."""

import datetime as dt

from services.risk_engine.engine import Context, process_mark
from services.risk_engine.rules import Thresholds
from shared.calendar import SchoolDays
from shared.codes import current_table
from shared.events import AttendanceMark
from synthetic.calendar import school_calendar, school_days

SCHOOL = "123456"
CALENDAR = school_calendar(SCHOOL, 2025)
DAYS = [day for day, _ in school_days(CALENDAR.terms, CALENDAR.closures)]
CONTEXT = Context(current_table(), Thresholds(), SchoolDays.from_calendars([CALENDAR]))


def mark(day: dt.date, session: str, code: str, recorded_hour: int = 9, pupil: str = "p1") -> AttendanceMark:
    return AttendanceMark(
        pupil_id=pupil,
        school_urn=SCHOOL,
        date=day,
        session=session,
        code=code,
        recorded_at=dt.datetime.combine(day, dt.time(recorded_hour), tzinfo=dt.UTC),
    )


def day_marks(days, code_for) -> list[AttendanceMark]:
    """AM and PM marks for each day, the code chosen by code_for(index, day)."""
    out = []
    for index, day in enumerate(days):
        code = code_for(index, day)
        out += [
            mark(day, "AM", "/" if code == "present" else code),
            mark(day, "PM", "\\" if code == "present" else code),
        ]
    return out


def run(marks, state=None, context=CONTEXT):
    alerts = []
    for m in marks:
        step = process_mark(state, m, context)
        state = step.state if step.changed else state
        alerts.extend(step.alerts)
    return state, alerts


def latest_codes(recordings) -> dict[tuple[dt.date, str], str]:
    """Each session's code by the definition: of (day, session, code, recorded) recordings, the
    latest recorded wins, ties broken by code."""
    latest: dict[tuple[dt.date, str], tuple[dt.datetime, str]] = {}
    for day, session, code, recorded in recordings:
        current = latest.get((day, session))
        if current is None or (recorded, code) > current:
            latest[(day, session)] = (recorded, code)
    return {slot: code for slot, (_, code) in latest.items()}
