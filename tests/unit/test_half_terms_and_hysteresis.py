"""Half-terms in the school calendar, and the optional hysteresis of the ladder and the 10-in-10
rule: off by default (the DfE definitions exactly), and when on an open alert resolves only below
its lower line."""

import dataclasses
import datetime as dt

import pytest

from services.risk_engine.rules import Thresholds
from shared.calendar import SchoolDays, previous_half_term
from shared.events import Transition
from tests.unit.engine_helpers import CONTEXT, DAYS, day_marks, run


@pytest.mark.parametrize(
    "day, half_term",
    [
        (dt.date(2025, 10, 24), "2025/1-autumn/1"),  # the Friday before the October half-term
        (dt.date(2025, 11, 3), "2025/1-autumn/2"),
        (dt.date(2026, 2, 23), "2025/2-spring/2"),
        (dt.date(2026, 6, 1), "2025/3-summer/2"),
    ],
)
def test_a_day_belongs_to_the_half_term_its_calendar_says(day, half_term):
    assert CONTEXT.days.half_term_of(day) == half_term


def test_without_a_calendar_half_terms_split_at_fixed_dates():
    weekdays = SchoolDays()
    assert weekdays.half_term_of(dt.date(2025, 10, 31)) == "2025/1-autumn/1"
    assert weekdays.half_term_of(dt.date(2025, 11, 3)) == "2025/1-autumn/2"
    assert weekdays.half_term_of(dt.date(2026, 2, 23)) == "2025/2-spring/2"


def test_the_half_term_before_crosses_terms_and_years():
    assert previous_half_term("2025/2-spring/1") == "2025/1-autumn/2"
    assert previous_half_term("2025/1-autumn/1") == "2024/3-summer/2"
    assert previous_half_term("2025/1-autumn/2") == "2025/1-autumn/1"


def around_the_line():
    """Ill for five days from the 31st school day, then present: the rate climbs over 10% and sinks
    back through 9.x% to under 9%."""
    return day_marks(DAYS[:75], lambda i, d: "I" if 30 <= i < 35 else "present")


def ladder(alerts):
    return [(a.transition, a.figures["absence_rate"]) for a in alerts if a.rule == "persistent_absence"]


def test_without_hysteresis_the_ladder_resolves_the_day_the_rate_is_under_ten_percent():
    _, alerts = run(around_the_line())
    resolved = [rate for transition, rate in ladder(alerts) if transition is Transition.RESOLVED]
    assert len(resolved) == 1 and 0.09 <= resolved[0] < 0.1


def test_with_hysteresis_it_resolves_only_under_the_lower_line():
    context = dataclasses.replace(CONTEXT, thresholds=Thresholds(persistent_absence_resolve=0.09))
    _, alerts = run(around_the_line(), context=context)
    transitions = ladder(alerts)
    assert [t for t, _ in transitions] == [Transition.RAISED, Transition.RESOLVED]
    assert transitions[-1][1] < 0.09


def test_hysteresis_never_raises_below_the_line():
    context = dataclasses.replace(CONTEXT, thresholds=Thresholds(persistent_absence_resolve=0.09))
    _, alerts = run(day_marks(DAYS[:75], lambda i, d: "I" if i % 11 == 10 else "present"), context=context)
    assert ladder(alerts) == []  # at most 1 day in 11 (9.1%): over the lower line, never at 10%


def resolved_on(alerts, rule: str) -> list[dt.date]:
    return [a.as_of for a in alerts if a.rule == rule and a.transition is Transition.RESOLVED]


def test_ten_in_ten_with_hysteresis_holds_until_under_its_lower_count():
    """Five days of unauthorised holiday (10 sessions): as they leave the 50-day window a day at a
    time, the count goes 10, 8, 6; the rule resolves at 8, and with a lower line of 8 a day later."""
    holiday = day_marks(DAYS[:80], lambda i, d: "G" if 20 <= i < 25 else "present")
    _, plain = run(holiday)
    held_context = dataclasses.replace(CONTEXT, thresholds=Thresholds(unauthorised_resolve_sessions=8))
    _, held = run(holiday, context=held_context)
    assert resolved_on(plain, "unauthorised_10_in_10") == [DAYS[70]]
    assert resolved_on(held, "unauthorised_10_in_10") == [DAYS[71]]
