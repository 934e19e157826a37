import datetime as dt

from services.risk_engine.engine import process_mark
from services.risk_engine.rules import Thresholds
from shared.codes import current_table
from shared.events import AttendanceMark, Transition, alert_id_for

TABLE = current_table()
THRESHOLDS = Thresholds()
START = dt.date(2025, 9, 1)


def mark(day: int, session: str, code: str, recorded_hour: int = 9) -> AttendanceMark:
    date = START + dt.timedelta(days=day)
    return AttendanceMark(
        pupil_id="p1",
        school_urn="123456",
        date=date,
        session=session,
        code=code,
        recorded_at=dt.datetime.combine(date, dt.time(recorded_hour), tzinfo=dt.UTC),
    )


def run(marks, state=None):
    alerts = []
    for m in marks:
        step = process_mark(state, m, TABLE, THRESHOLDS)
        state = step.state
        alerts.extend(step.alerts)
    return state, alerts


def days(n: int, absent_every: int | None = None):
    for day in range(n):
        code = "N" if absent_every and day % absent_every == absent_every - 1 else "/"
        yield mark(day, "AM", code)
        yield mark(day, "PM", code)


def test_persistent_absence_waits_for_forty_possible_sessions():
    _, alerts = run(mark(day, s, "N") for day in range(19) for s in ("AM", "PM"))  # 38 sessions, 100% absent
    assert alerts == []
    _, alerts = run(mark(day, s, "N") for day in range(20) for s in ("AM", "PM"))
    assert [(a.rule, a.transition) for a in alerts] == [("persistent_absence", Transition.RAISED)]


def test_persistent_absence_is_raised_once_while_it_keeps_holding():
    _, alerts = run(days(60, absent_every=4))  # 25% absent
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.alert_id == alert_id_for("p1", "persistent_absence", 1)
    assert alert.figures["possible_sessions"] == 40
    assert alert.routes == ["pastoral_check_in", "family_outreach"]
    assert "at or above 10%" in alert.reasons[0]


def test_a_pupil_below_ten_percent_raises_nothing():
    _, alerts = run(days(60, absent_every=12))  # 5 of 60 days, never 10% after session 40
    assert alerts == []


def test_correction_that_removes_the_condition_resolves_the_episode():
    marks = [mark(day, s, "N" if day < 5 else "/") for day in range(20) for s in ("AM", "PM")]  # 10 of 40 absent
    state, alerts = run(marks)
    assert [a.transition for a in alerts] == [Transition.RAISED]
    corrections = [mark(day, s, "I" if day < 1 else "/", recorded_hour=17) for day in range(5) for s in ("AM", "PM")]
    _, later = run(corrections, state)
    assert [(a.transition, a.alert_id) for a in later] == [(Transition.RESOLVED, alerts[0].alert_id)]


def test_a_second_episode_gets_a_new_alert_id():
    marks = [mark(day, s, "N" if day < 5 else "/") for day in range(20) for s in ("AM", "PM")]
    state, first = run(marks)
    state, _ = run([mark(day, s, "/", 17) for day in range(5) for s in ("AM", "PM")], state)
    _, second = run([mark(day, s, "N", 18) for day in range(5) for s in ("AM", "PM")], state)
    assert [a.transition for a in second] == [Transition.RAISED]
    assert second[0].episode == 2 and second[0].alert_id != first[0].alert_id
