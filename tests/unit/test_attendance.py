import datetime as dt
import itertools

import pytest
from pydantic import ValidationError

from services.risk_engine.attendance import Tally, apply_mark, recorded_key, sessions_in, tally
from services.risk_engine.engine import process_mark
from services.risk_engine.figures import recount
from shared.codes import current_table
from shared.events import AttendanceMark
from tests.unit.engine_helpers import CONTEXT, DAYS, SCHOOL, mark

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


MONDAY = dt.date(2025, 9, 8)


def codes(records) -> set[tuple[str, dt.date, str, str]]:
    return set(sessions_in(records))


def test_latest_recorded_mark_wins_whatever_the_arrival_order():
    marks = [("AM", "N", at(9)), ("AM", "I", at(10, day=9)), ("AM", "N", at(9)), ("PM", "\\", at(13))]
    results = set()
    for order in itertools.permutations(marks):
        records = {}
        for session, code, recorded in order:
            apply_mark(records, "100001", MONDAY, session, code, recorded, TABLE)
        results.add(frozenset(codes(records)))
    assert results == {frozenset({("100001", MONDAY, "AM", "I"), ("100001", MONDAY, "PM", "\\")})}


def test_repeating_a_mark_reports_no_change_and_an_older_one_is_ignored():
    records = {}
    assert apply_mark(records, "100001", MONDAY, "AM", "N", at(9), TABLE) == (True, None)
    assert apply_mark(records, "100001", MONDAY, "AM", "N", at(9), TABLE) == (False, None)
    assert apply_mark(records, "100001", MONDAY, "AM", "O", at(8), TABLE) == (False, None)
    assert apply_mark(records, "100001", MONDAY, "AM", "I", at(10), TABLE) == (True, "N")  # the code it replaced
    assert codes(records) == {("100001", MONDAY, "AM", "I")}


def test_two_letter_codes_and_ties_order_like_the_codes_themselves():
    records = {}
    apply_mark(records, "100001", MONDAY, "AM", "C1", at(9), TABLE)
    assert apply_mark(records, "100001", MONDAY, "AM", "C", at(9), TABLE) == (False, None)  # "C" < "C1"
    assert apply_mark(records, "100001", MONDAY, "AM", "Y1", at(9), TABLE) == (True, "C1")
    assert codes(records) == {("100001", MONDAY, "AM", "Y1")}


def test_sessions_across_academic_years_and_schools_are_kept_apart():
    records = {}
    last_of_year, first_of_next = dt.date(2025, 8, 31), dt.date(2025, 9, 1)
    marks = [
        ("100001", last_of_year, "PM", "/"),
        ("100001", first_of_next, "AM", "N"),
        ("100002", first_of_next, "AM", "I"),
        ("100001", dt.date(2026, 7, 22), "PM", "L"),
    ]
    for school, day, session, code in marks:
        apply_mark(records, school, day, session, code, at(9), TABLE)
    assert codes(records) == set(marks)
    assert sorted(records) == ["100001|2024", "100001|2025", "100002|2025"]


def test_recorded_key_orders_times_across_timezones():
    london = dt.timezone(dt.timedelta(hours=1))
    assert recorded_key(dt.datetime(2025, 9, 8, 10, 0, tzinfo=london)) == recorded_key(
        dt.datetime(2025, 9, 8, 9, tzinfo=dt.UTC)
    )
    assert recorded_key(dt.datetime(2025, 9, 8, 9, 0, 0, 1, tzinfo=dt.UTC)) > recorded_key(
        dt.datetime(2025, 9, 8, 9, tzinfo=dt.UTC)
    )


def test_a_recording_time_that_cannot_fit_a_cell_cannot_be_made():
    """Years past 4253 would widen a cell and shift every session after it: refused on the wire and
    by the encoder (issue #10, item 2)."""
    with pytest.raises(ValidationError, match="recorded_at must fall in 2000-2199"):
        AttendanceMark(
            pupil_id="p", school_urn="123456", date=MONDAY, session="AM", code="/",
            recorded_at=dt.datetime(4300, 1, 1, tzinfo=dt.UTC),
        )  # fmt: skip
    with pytest.raises(ValidationError):
        AttendanceMark(
            pupil_id="p", school_urn="123456", date=dt.date(1, 1, 1), session="AM", code="/",
            recorded_at=dt.datetime(2025, 9, 8, tzinfo=dt.UTC),
        )  # fmt: skip
    with pytest.raises(ValueError, match="does not fit a session cell"):
        recorded_key(dt.datetime(4300, 1, 1, tzinfo=dt.UTC))
    assert len(at(9)) == 14


def test_a_correction_moves_the_running_counts_by_the_difference_of_its_codes():
    """The running counts move straight from the old code to the new; a session that counts nothing
    still makes its periods' rows (a recount makes them too, and the stored counts must equal it)."""
    day = DAYS[3]
    present = process_mark(None, mark(day, "AM", "/"), CONTEXT).state
    unauthorised = process_mark(present, mark(day, "AM", "O", recorded_hour=10), CONTEXT).state
    not_possible = process_mark(None, mark(day, "AM", "X"), CONTEXT).state
    year_key = f"{SCHOOL}|Y|2025"
    assert present["counts"][year_key] == [1, 1, 0, 0]
    assert unauthorised["counts"][year_key] == [1, 0, 0, 1]
    assert not_possible["counts"] == {key: [0, 0, 0, 0] for key in present["counts"]}
    for state in (present, unauthorised, not_possible):
        assert state["counts"] == recount(state["records"], CONTEXT.days, TABLE)
