"""The reconciliation rule: who is unmarked, and when a silent register becomes overdue."""

import datetime as dt

from services.referrals.reconciliation.gaps import RegisterDeadlines, reconcile

DAY = dt.date(2026, 3, 4)
ON_ROLL = {"100001": 30, "100002": 20, "100003": 0}


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


def overdue(marked: dict, now: dt.datetime) -> set:
    return set(reconcile(DAY, ON_ROLL, marked, now=now, deadlines=RegisterDeadlines()).overdue)


def test_a_silent_morning_register_is_overdue_from_its_deadline_and_not_before():
    marked = {("100001", "AM"): 30}
    assert overdue(marked, at(9, 59)) == set()
    assert overdue(marked, at(10, 0)) == {("100002", "AM")}
    assert overdue(marked, at(14, 30)) == {("100002", "AM"), ("100001", "PM"), ("100002", "PM")}


def test_a_register_with_one_mark_is_a_gap_but_not_overdue():
    result = reconcile(DAY, ON_ROLL, {("100001", "AM"): 29}, now=at(11), deadlines=RegisterDeadlines())
    gaps = {(s.school_urn, s.session): s.unmarked for s in result.gaps}
    assert gaps[("100001", "AM")] == 1 and ("100001", "AM") not in result.overdue
    assert ("100002", "AM") in result.overdue


def test_every_silent_session_of_a_past_day_is_overdue_and_a_school_with_nobody_on_roll_is_left_out():
    result = reconcile(DAY, ON_ROLL, {}, now=at(8, day=DAY + dt.timedelta(days=1)), deadlines=RegisterDeadlines())
    assert set(result.overdue) == {(school, half) for school in ("100001", "100002") for half in ("AM", "PM")}
    assert {s.school_urn for s in result.sessions} == {"100001", "100002"}


def test_the_deadlines_are_configurable():
    late = RegisterDeadlines(am=dt.time(11, 0))
    assert reconcile(DAY, ON_ROLL, {}, now=at(10, 30), deadlines=late).overdue == frozenset()
