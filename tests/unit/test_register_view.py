"""The pupil page's register: the same sessions whatever order marks and corrections arrived in, figures
over any stretch of school days, a calendar that knows closures from days not yet come."""

import datetime as dt
import itertools

from services.referrals.registers import corrected_from, merge_recording, recorded
from services.referrals.web.register_view import (
    absence_pattern,
    chart_floor,
    month_starts,
    rate,
    session_view,
    weekly_chart,
    weeks,
)
from shared.calendar import SchoolDays
from shared.codes import current_table
from tests.unit.engine_helpers import CALENDAR

TABLE = current_table()
DAYS = SchoolDays.from_calendars([CALENDAR])


def at(hour: int) -> str:
    return recorded(dt.datetime(2025, 9, 8, hour, tzinfo=dt.UTC))


def test_a_session_is_the_same_whatever_order_its_recordings_arrive_in():
    recordings = [("N", at(9)), ("I", at(15)), ("N", at(9))]  # a mark, its correction, a duplicate
    results = set()
    for order in itertools.permutations(recordings):
        cell = None
        for code, when in order:
            cell = merge_recording(cell, code, when)
        results.add(tuple(cell))
    assert results == {("I", at(15), "N", at(9))}
    assert corrected_from(list(results.pop())) == "N"
    assert corrected_from(merge_recording(None, "/", at(9))) is None


def test_rates_count_only_possible_sessions_on_school_days():
    sessions = {
        (dt.date(2025, 9, 8), "AM"): ["/", at(9), "/", at(9)],
        (dt.date(2025, 9, 8), "PM"): ["N", at(9), "N", at(9)],
        (dt.date(2025, 9, 9), "AM"): ["#", at(9), "#", at(9)],  # not a possible session
        (dt.date(2025, 9, 1), "AM"): ["N", at(9), "N", at(9)],  # an INSET day: the school was shut
    }
    figures = rate(sessions, DAYS, TABLE, dt.date(2025, 9, 1), dt.date(2025, 9, 9))
    assert (figures.possible, figures.attended, figures.attendance) == (2, 1, 0.5)


def test_the_calendar_shows_closures_and_leaves_days_to_come_empty():
    [first, second] = weeks({}, DAYS, TABLE, dt.date(2025, 9, 1), dt.date(2025, 9, 10))
    assert first.monday == dt.date(2025, 9, 1)
    assert first.days[0] is None and first.days[1] is None  # INSET days
    assert [s.kind for s in first.days[2]] == ["unmarked", "unmarked"]
    assert second.days[2] != [] and second.days[3] == [] and second.days[4] == []  # Thu and Fri not yet come
    view = session_view({(dt.date(2025, 9, 8), "AM"): ["I", at(15), "N", at(9)]}, dt.date(2025, 9, 8), "AM", TABLE)
    assert view.label == "Mon 08 Sep AM: I (authorised absence), corrected from N"


def test_the_chart_reaches_down_to_the_lowest_week():
    assert chart_floor([0.97, 0.92]) == 0.8 and chart_floor([0.61, 0.9]) == 0.6
    svg = weekly_chart([(dt.date(2025, 9, 8), 1.0), (dt.date(2025, 9, 15), 0.6)], 0.93)
    assert 'role="img"' in svg and "latest 60%" in svg and ">60%<" in svg


def test_the_charts_time_axis_names_each_month_where_it_begins():
    mondays = [dt.date(2025, 9, 22), dt.date(2025, 9, 29), dt.date(2025, 10, 6), dt.date(2025, 10, 13)]
    assert month_starts(mondays) == [(0, "Sep"), (2, "Oct")]
    assert ">Oct<" in weekly_chart([(monday, 0.9) for monday in mondays], None)


def test_the_recent_absence_pattern_names_the_weekday_that_holds_most_absences():
    mondays = [dt.date(2025, 9, 8) + dt.timedelta(weeks=n) for n in range(3)]
    sessions = {}
    for day in DAYS.school_days_between(mondays[0], mondays[-1] + dt.timedelta(days=4)):
        for session in ("AM", "PM"):
            sessions[(day, session)] = ["N" if day in mondays else "/", at(9), "/", at(9)]
    sessions[(mondays[1] + dt.timedelta(days=2), "AM")] = ["I", at(9), "I", at(9)]  # one Wednesday, ill
    last = mondays[-1] + dt.timedelta(days=4)
    assert absence_pattern(sessions, DAYS, TABLE, last) == "absent 5 of the last 20 sessions, mostly Mondays"
    spread = {key: ["/", at(9), "/", at(9)] for key in sessions} | {(mondays[2], "AM"): ["N", at(9), "N", at(9)]}
    assert absence_pattern(spread, DAYS, TABLE, last) == "absent 1 of the last 20 sessions"
    assert absence_pattern({key: ["/", at(9), "/", at(9)] for key in sessions}, DAYS, TABLE, last) is None
