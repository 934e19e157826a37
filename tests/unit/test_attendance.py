import itertools

from services.risk_engine.attendance import Tally, apply_mark, tally
from shared.codes import current_table

TABLE = current_table()


def test_tally_counts_attended_and_absent_over_possible_sessions_only():
    figures = tally(["/", "\\", "L", "V", "I", "N", "G", "#", "X", "Y4"], TABLE)
    assert figures == Tally(possible=7, attended=4, authorised=1, unauthorised=2)
    assert figures.absence_rate == 3 / 7
    assert figures.attendance_rate == 4 / 7


def test_nineteen_days_absent_in_a_full_year_is_ten_percent():
    codes = ["I"] * 38 + ["/"] * 342
    assert tally(codes, TABLE).absence_rate == 0.1


def test_a_pupil_with_no_possible_sessions_has_zero_rates():
    figures = tally(["#", "Z"], TABLE)
    assert (figures.possible, figures.absence_rate, figures.attendance_rate) == (0, 0.0, 0.0)


def test_latest_recorded_mark_wins_whatever_the_arrival_order():
    marks = [
        ("2025-09-08|AM", "N", "2025-09-08T09:05:00+00:00"),
        ("2025-09-08|AM", "I", "2025-09-09T10:00:00+00:00"),
        ("2025-09-08|AM", "N", "2025-09-08T09:05:00+00:00"),
        ("2025-09-08|PM", "\\", "2025-09-08T13:35:00+00:00"),
    ]
    results = set()
    for order in itertools.permutations(marks):
        sessions = {}
        for slot, code, recorded_at in order:
            apply_mark(sessions, slot, code, recorded_at)
        results.add(tuple(sorted(sessions.items())))
    assert results == {
        (("2025-09-08|AM", ("I", "2025-09-09T10:00:00+00:00")), ("2025-09-08|PM", ("\\", "2025-09-08T13:35:00+00:00")))
    }


def test_repeating_a_mark_reports_no_change():
    sessions = {}
    assert apply_mark(sessions, "s", "N", "2025-09-08T09:05:00+00:00") is True
    assert apply_mark(sessions, "s", "N", "2025-09-08T09:05:00+00:00") is False
    assert apply_mark(sessions, "s", "O", "2025-09-08T09:00:00+00:00") is False  # older
