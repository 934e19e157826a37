import datetime as dt
import itertools

from services.risk_engine.attendance import Tally, apply_mark, code_in, recorded_key, tally
from shared.codes import current_table

TABLE = current_table()


def test_tally_counts_attended_and_absent_over_possible_sessions_only():
    figures = tally(["/", "\\", "L", "V", "I", "N", "G", "#", "X", "Y4"], TABLE)
    assert figures == Tally(possible=7, attended=4, authorised=1, unauthorised=2)
    assert figures.absence_rate == 3 / 7
    assert figures.attendance_rate == 4 / 7


def test_nineteen_days_absent_in_a_full_year_is_ten_percent():
    assert tally(["I"] * 38 + ["/"] * 342, TABLE).absence_rate == 0.1


def test_a_pupil_with_no_possible_sessions_has_zero_rates():
    figures = tally(["#", "Z"], TABLE)
    assert (figures.possible, figures.absence_rate, figures.attendance_rate) == (0, 0.0, 0.0)


def at(hour: int, day: int = 8) -> str:
    return recorded_key(dt.datetime(2025, 9, day, hour, tzinfo=dt.UTC))


def test_latest_recorded_mark_wins_whatever_the_arrival_order():
    marks = [("AM", "N", at(9)), ("AM", "I", at(10, day=9)), ("AM", "N", at(9)), ("PM", "\\", at(13))]
    results = set()
    for order in itertools.permutations(marks):
        sessions = {}
        for slot, code, recorded in order:
            apply_mark(sessions, slot, code, recorded)
        results.add(tuple(sorted((slot, code_in(value)) for slot, value in sessions.items())))
    assert results == {(("AM", "I"), ("PM", "\\"))}


def test_repeating_a_mark_reports_no_change_and_an_older_one_is_ignored():
    sessions = {}
    assert apply_mark(sessions, "s", "N", at(9)) is True
    assert apply_mark(sessions, "s", "N", at(9)) is False
    assert apply_mark(sessions, "s", "O", at(8)) is False
    assert code_in(sessions["s"]) == "N"


def test_recorded_key_orders_times_across_timezones():
    london = dt.timezone(dt.timedelta(hours=1))
    assert recorded_key(dt.datetime(2025, 9, 8, 10, 0, tzinfo=london)) == recorded_key(
        dt.datetime(2025, 9, 8, 9, tzinfo=dt.UTC)
    )
    assert recorded_key(dt.datetime(2025, 9, 8, 9, 0, 0, 1, tzinfo=dt.UTC)) > recorded_key(
        dt.datetime(2025, 9, 8, 9, tzinfo=dt.UTC)
    )
