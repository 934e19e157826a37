"""Parent messages' pure parts (issue #13): half-term starts from the calendar, the seeded
hold-back, days in words, and wording that states days and never a rate."""

import datetime as dt

import pytest

from services.notifications.parent_messages import (
    check_wording,
    current_half_term_start,
    days_missed,
    half_term_starts,
    held_back,
    in_words,
    message_text,
)
from shared.calendar import SchoolDays
from shared.events import SchoolCalendar, Term

CALENDAR = SchoolCalendar(
    school_urn="100001", academic_year="2026/27",
    terms=[Term(name="autumn", start=dt.date(2026, 9, 3), end=dt.date(2026, 12, 18),
                half_term_start=dt.date(2026, 10, 26), half_term_end=dt.date(2026, 10, 30)),
           Term(name="spring", start=dt.date(2027, 1, 5), end=dt.date(2027, 3, 26),
                half_term_start=dt.date(2027, 2, 15), half_term_end=dt.date(2027, 2, 19))],
    closures=[dt.date(2027, 2, 22)],
)  # fmt: skip
DAYS = SchoolDays.from_calendars([CALENDAR])


def test_each_term_and_each_terms_second_half_starts_a_round():
    assert half_term_starts(DAYS) == [
        dt.date(2026, 9, 3),
        dt.date(2026, 11, 2),
        dt.date(2027, 1, 5),
        dt.date(2027, 2, 23),
    ]  # fmt: skip  (22 Feb is an INSET day)
    assert current_half_term_start(DAYS, dt.date(2026, 11, 2)) == dt.date(2026, 11, 2)
    assert current_half_term_start(DAYS, dt.date(2026, 11, 6)) == dt.date(2026, 11, 2)  # still the first week
    assert current_half_term_start(DAYS, dt.date(2026, 11, 10)) is None  # too late for this half-term
    assert current_half_term_start(DAYS, dt.date(2026, 8, 20)) is None


def test_the_hold_back_is_reproducible_and_holds_back_about_the_share():
    pupils = [f"pupil-{n}" for n in range(10_000)]
    first = [held_back(p, seed="borough-2026", share=0.3) for p in pupils]
    assert first == [held_back(p, seed="borough-2026", share=0.3) for p in pupils]
    assert 0.28 < sum(first) / len(pupils) < 0.32
    assert first != [held_back(p, seed="another-seed", share=0.3) for p in pupils]
    assert not any(held_back(p, seed="borough-2026", share=0.0) for p in pupils)


def test_days_missed_are_days_in_words():
    assert days_missed(possible_sessions=120, attended_sessions=107) == 6.5
    assert [in_words(d) for d in (0.5, 1, 6, 6.5)] == ["half a day", "1 day", "6 days", "6 and a half days"]
    text = message_text("Sam's school: your child has missed {days_missed} this year.", 6.5)
    assert text == "Sam's school: your child has missed 6 and a half days this year." and "%" not in text


@pytest.mark.parametrize("wording, problem", [
    ("Your child has missed school.", "{days_missed}"),
    ("Attendance is {days_missed}, that is 88%.", "never a percentage"),
    ("{days_missed}" + "x" * 600, "600 characters"),
])  # fmt: skip
def test_a_wording_without_days_or_with_a_rate_is_refused(wording, problem):
    with pytest.raises(ValueError, match=problem):
        check_wording(wording)
