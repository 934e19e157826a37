"""The decline rules, streamed in any order with duplicates and corrections, equal their
definitions. The literal rule: three consecutive terms of the calendar, each with at least 20
possible sessions, the first above 95% and each next one at least a point lower; the term in
progress joins once it counts. attendance_decline: see expected_decline()."""

import dataclasses
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.risk_engine.cohorts import SeasonalChange
from services.risk_engine.decline import DeclineLines, Sessions, upper_tail
from services.risk_engine.rules import Thresholds
from shared.codes import current_table
from tests.unit.engine_helpers import CONTEXT, DAYS, latest_codes, mark, run

TABLE = current_table()

NEXT_AUTUMN = [dt.date(2026, 9, 1) + dt.timedelta(days=n) for n in range(60)]  # no calendar yet: weekdays
TERMS = {
    "autumn": [d for d in DAYS if d < dt.date(2026, 1, 1)],
    "spring": [d for d in DAYS if dt.date(2026, 1, 1) <= d < dt.date(2026, 4, 1)],
    "summer": [d for d in DAYS if d >= dt.date(2026, 4, 1)],
    "next autumn": [d for d in NEXT_AUTUMN if d.weekday() < 5],
}
ORDER = list(TERMS)


@st.composite
def terms_of_marks(draw):
    """Per term: how many school days are marked, how many of those absent or not possible. Half the
    draws are shaped like a decline (absence rising term on term), so the rule holds often enough to
    be tested both ways; some of those lose a term to dual registration, which must break the chain."""
    declining = draw(st.booleans())
    plan, absent = {}, 0
    for name in ORDER[: draw(st.sampled_from([4, 4, 3, 3, 2, 1]))]:
        if declining:
            marked = draw(st.integers(12, 30))
            absent = min(marked, absent + draw(st.integers(0 if name == "autumn" else 1, 3)))
            # now and then dual registered elsewhere most of a term: under 20 possible sessions
            away = draw(st.sampled_from([0] * 5 + [marked - absent]))
        else:
            marked = draw(st.integers(0, 30))
            absent = draw(st.integers(0, min(marked, 4)))
            away = draw(st.integers(0, marked - absent))
        plan[name] = (marked, absent, away)
    marks = []
    for name, (marked, absent, away) in plan.items():
        for index, day in enumerate(TERMS[name][:marked]):
            code = "I" if index < absent else "D" if index < absent + away else None
            for session, present in (("AM", "/"), ("PM", "\\")):
                marks.append((day, session, code or present))
    return plan, draw(st.permutations(marks))


def expected_holding(plan: dict) -> bool:
    tallies = {
        name: (2 * (marked - away), 2 * (marked - absent - away)) for name, (marked, absent, away) in plan.items()
    }
    marked_terms = [name for name, (marked, *_) in plan.items() if marked]
    if not marked_terms:
        return False
    current = ORDER.index(marked_terms[-1])

    def counts(index: int) -> bool:
        return index >= 0 and ORDER[index] in tallies and tallies[ORDER[index]][0] >= 20

    last = current if counts(current) else current - 1
    if not all(counts(index) for index in (last - 2, last - 1, last)):
        return False
    rates = [tallies[ORDER[index]][1] / tallies[ORDER[index]][0] for index in (last - 2, last - 1, last)]
    return rates[0] > 0.95 and rates[1] <= rates[0] - 0.01 and rates[2] <= rates[1] - 0.01


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(terms_of_marks())
def test_streamed_decline_equals_its_definition(drawn):
    plan, marks = drawn
    state, _ = run([mark(day, session, code) for day, session, code in marks])
    episode = (state or {"alerts": {}})["alerts"].get("strong_attendance_decline")
    assert bool(episode and episode["open"]) == expected_holding(plan)


# attendance_decline: each window of the last school days against everything before it, tested for
# chance on the window's separate spells of absence; the rule holds when any window does.
SEASON = SeasonalChange(year_group=8, before=0.95, now=0.93)
WITH_SEASON = dataclasses.replace(CONTEXT, seasonal=lambda baseline, window: SEASON)
ABSENT_CODES = ["I", "N", "O", "G", "M", "U"]


@st.composite
def slides(draw):
    """School days marked present with a rare absence, then from a drawn day absence at a drawn
    rate (often steep enough for the rule to hold), absent codes of every kind; with corrections
    (a later recording of the same session), duplicates and any order."""
    marked = draw(st.sampled_from([25, 70, 85, 110, 110]))  # too short for a baseline, then long enough
    onset = marked - draw(st.sampled_from([0, 10, 25, 30, 45]))
    every = draw(st.sampled_from([2, 2, 2, 3, 10]))  # after the onset, one session in `every` is missed
    recordings = []
    for index, day in enumerate(DAYS[:marked]):
        for half, (session, present) in enumerate((("AM", "/"), ("PM", "\\"))):
            number = 2 * index + half
            missed = number % (every if index >= onset else 47) == 0
            code = ABSENT_CODES[number % len(ABSENT_CODES)] if missed else present
            recordings.append((day, session, code, 9))
    for slot in draw(st.lists(st.integers(0, len(recordings) - 1), max_size=15)):
        day, session, code, _ = recordings[slot]  # a correction, recorded later, either way
        recordings.append((day, session, "I" if code in "/\\" else "/", 15))
    duplicates = draw(st.lists(st.sampled_from(recordings), max_size=10))
    return draw(st.permutations(recordings + duplicates))


def expected_decline(recordings, thresholds: Thresholds) -> bool:
    """The rule's definition over the latest code of each session, counted from the calendar."""
    latest_code = latest_codes(recordings)
    categories = {slot: TABLE.category(code) for slot, code in latest_code.items()}
    possible = {slot for slot, category in categories.items() if category.counts_as_possible}
    absent = {slot for slot in possible if categories[slot].absent}
    marked_days = [day for day in DAYS if day <= max(day for day, _ in latest_code)]
    return any(
        _window_holds(marked_days[-length:], possible, absent, thresholds.decline_lines)
        for length in thresholds.decline_windows_school_days
    )


def _window_holds(window_days, possible, absent, lines: DeclineLines) -> bool:
    in_window = [(day, s) for day in window_days for s in ("AM", "PM") if (day, s) in possible]
    now = Sessions(len(in_window), sum(slot in absent for slot in in_window))
    spells = sum(slot in absent and (i == 0 or in_window[i - 1] not in absent) for i, slot in enumerate(in_window))
    before = Sessions(len(possible) - now.possible, len(absent) - now.absent)
    ratio = (1 - SEASON.now) / (1 - SEASON.before)
    return (
        now.possible >= lines.window_sessions
        and before.possible >= lines.baseline_sessions
        and before.attendance_rate > lines.strong_attendance
        and now.absence_rate - before.absence_rate * ratio >= lines.min_fall
        and upper_tail(now, spells, before, ratio, lines) <= lines.significance
    )


# The default six-week window, and two windows: the rule's union and each window's share of the level.
@pytest.mark.parametrize("windows", [(30,), (30, 45)])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(recordings=slides())
def test_streamed_attendance_decline_equals_its_definition(windows, recordings):
    thresholds = dataclasses.replace(CONTEXT.thresholds, decline_windows_school_days=windows)
    context = dataclasses.replace(WITH_SEASON, thresholds=thresholds)
    state, _ = run([mark(day, session, code, hour) for day, session, code, hour in recordings], context=context)
    episode = state["alerts"].get("attendance_decline")
    assert bool(episode and episode["open"]) == expected_decline(recordings, thresholds)
