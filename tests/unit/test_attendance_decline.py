"""attendance_decline as docs/alert-rules.md defines it: a strong baseline, a fall beyond the
cohort's seasonal change, and beyond what chance explains; through the engine, with its route,
lifecycle and plain-word reasons."""

import dataclasses
import datetime as dt
import re

import pytest
from pydantic import ValidationError
from scipy.stats import betabinom

from services.risk_engine.cohorts import SeasonalChange
from services.risk_engine.decline import Sessions, assess, beta_binomial_tail, reasons, upper_tail
from services.risk_engine.figures import DeclineWindow, Figures
from services.risk_engine.rules import Thresholds
from services.risk_engine.settings import Settings
from shared.calendar import SchoolDays
from shared.events import Transition
from synthetic.calendar import school_calendar
from tests.unit.engine_helpers import CALENDAR, CONTEXT, DAYS, SCHOOL, day_marks, mark, run

LINES = Thresholds().decline_lines
WINDOW = min(Thresholds().decline_windows_school_days)  # school days: a slide that long fills the shortest window
STEADY_COHORT = SeasonalChange(year_group=8, before=0.95, now=0.945)


def with_cohort(change: SeasonalChange | None):
    return dataclasses.replace(CONTEXT, seasonal=lambda baseline, window: change)


def slide(strong_days: int, fallen_days: int, every: int):
    """Present every day for `strong_days` (ill one day in thirty), then ill one day in `every`."""

    def code(index, _):
        if index < strong_days:
            return "I" if index % 30 == 29 else "present"
        return "I" if (index - strong_days) % every == 0 else "present"

    return day_marks(DAYS[: strong_days + fallen_days], code)


def declines(alerts):
    return [(a.transition, a.as_of) for a in alerts if a.rule == "attendance_decline"]


def test_a_strong_attender_who_starts_missing_one_day_in_two_is_raised_with_plain_reasons():
    _, alerts = run(slide(60, WINDOW, every=2), context=with_cohort(STEADY_COHORT))
    raised = [a for a in alerts if a.rule == "attendance_decline"]
    assert [a.transition for a in raised] == [Transition.RAISED]
    alert = raised[0]
    assert alert.routes == ["mentoring", "cultural_enrichment"]
    weeks = round(WINDOW / 5)
    assert re.fullmatch(rf"attended 9\d% before the last {weeks} weeks, \d\d% in them", alert.reasons[0])
    assert alert.reasons[1] == "the school's year 8 fell 1 point over the same weeks"
    assert alert.reasons[2].startswith("chance alone explains a fall this size less than 1 time in")
    assert alert.figures["baseline_attendance"] > 0.95 and alert.figures["recent_attendance"] < 0.8
    again, _ = run(slide(60, WINDOW, every=2), context=with_cohort(STEADY_COHORT))
    assert again["alerts"]["attendance_decline"]["episode"] == 1  # replaying the marks: the same episode and id


def test_one_day_in_ten_is_within_chance_for_a_strong_attender():
    _, alerts = run(slide(60, WINDOW, every=10), context=with_cohort(STEADY_COHORT))
    assert declines(alerts) == []


def test_a_baseline_at_or_under_ninety_five_percent_is_not_strong():
    def weaker(index, _):
        return "I" if (index < 60 and index % 10 == 9) or (index >= 60 and index % 3 == 0) else "present"

    _, alerts = run(day_marks(DAYS[:90], weaker), context=with_cohort(STEADY_COHORT))
    assert declines(alerts) == []


def test_the_baseline_needs_sixty_sessions_before_the_window():
    _, short = run(slide(29, WINDOW, every=2), context=with_cohort(STEADY_COHORT))
    _, enough = run(slide(32, WINDOW, every=2), context=with_cohort(STEADY_COHORT))
    assert declines(short) == [] and declines(enough)


def test_a_fall_the_whole_year_group_shares_is_the_season_not_the_pupil():
    """A fall to one day in five is flagged against a steady year group, and not when the year
    group's absence tripled over the same weeks."""
    tripled = SeasonalChange(year_group=8, before=0.95, now=0.85)
    _, steady = run(slide(60, WINDOW, every=5), context=with_cohort(STEADY_COHORT))
    _, seasonal = run(slide(60, WINDOW, every=5), context=with_cohort(tripled))
    assert declines(steady) and declines(seasonal) == []


def test_without_any_cohort_figures_the_pupil_is_judged_on_their_own_and_says_so():
    _, alerts = run(slide(60, WINDOW, every=2), context=with_cohort(None))
    raised = next(a for a in alerts if a.rule == "attendance_decline")
    assert raised.reasons[1] == "the school's figures for the same weeks are not in yet"


def test_it_resolves_when_attendance_recovers():
    recovered = slide(60, WINDOW, every=2) + day_marks(DAYS[60 + WINDOW : 100 + 2 * WINDOW], lambda i, d: "present")
    _, alerts = run(recovered, context=with_cohort(STEADY_COHORT))
    assert [t for t, _ in declines(alerts)] == [Transition.RAISED, Transition.RESOLVED]


def test_last_years_marks_give_a_baseline_in_the_first_weeks_of_autumn():
    """Last year present throughout; this September ill one day in two: raised before the October
    half-term, which this year's marks alone cannot do."""
    last_year = SchoolDays.from_calendars([school_calendar(SCHOOL, 2024)])
    history = [
        m
        for day in (dt.date(2025, 4, 14) + dt.timedelta(days=n) for n in range(100))  # the summer term
        if last_year.is_school_day(day)
        for m in (mark(day, "AM", "/"), mark(day, "PM", "\\"))
    ]
    days = SchoolDays.from_calendars([school_calendar(SCHOOL, 2024), CALENDAR])
    september = day_marks(DAYS[:20], lambda i, d: "I" if i % 2 == 0 else "present")
    context = dataclasses.replace(with_cohort(STEADY_COHORT), days=days)
    _, with_history = run(history + september, context=context)
    _, without = run(september, context=with_cohort(STEADY_COHORT))
    assert [t for t, _ in declines(with_history)] == [Transition.RAISED] and declines(without) == []
    assert declines(with_history)[0][1] < dt.date(2025, 10, 27)


@pytest.mark.parametrize("spells", [1, 2, 5, 9])
def test_the_tail_is_the_beta_binomial_of_the_windows_spells(spells):
    now, before = Sessions(60, 20), Sessions(120, 3)
    a = LINES.prior_absence * LINES.prior_strength + 3 / 3
    b = (1 - LINES.prior_absence) * LINES.prior_strength + 117 / 3
    assert upper_tail(now, spells, before, 1.0, LINES) == pytest.approx(betabinom.sf(spells - 1, 20, a, b))


def test_more_spells_or_a_steeper_season_move_the_tail_the_right_way():
    now, before = Sessions(60, 20), Sessions(120, 3)
    tails = [upper_tail(now, spells, before, 1.0, LINES) for spells in (1, 3, 5, 7)]
    assert tails == sorted(tails, reverse=True) and upper_tail(now, 0, before, 1.0, LINES) == 1.0
    assert upper_tail(now, 4, before, 2.0, LINES) > upper_tail(now, 4, before, 1.0, LINES)


def test_one_long_illness_is_one_spell_not_a_decline():
    """Ten days ill in a row after a strong start: 20 absent sessions, one spell; within chance.
    The same 20 sessions as ten separate days off are a decline."""
    _, ill_once = run(
        day_marks(DAYS[:90], lambda i, d: "I" if 75 <= i < 85 else "present"), context=with_cohort(STEADY_COHORT)
    )
    _, ten_days_off = run(slide(60, WINDOW, every=3), context=with_cohort(STEADY_COHORT))
    assert declines(ill_once) == [] and declines(ten_days_off)


@pytest.mark.parametrize("n, a, b", [(1, 0.35, 4.65), (20, 1.7, 43.3), (25, 0.05, 200.0), (40, 20.0, 0.5)])
def test_the_hand_summed_tail_equals_scipys_beta_binomial(n, a, b):
    for k in range(1, n + 1):
        assert beta_binomial_tail(k, n, a, b) == pytest.approx(betabinom.sf(k - 1, n, a, b), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(
    "cohort, holds",
    [(SeasonalChange(8, before=0.90, now=0.95), True), (STEADY_COHORT, False), (None, False)],
)
def test_a_year_group_whose_absence_halved_makes_a_small_fall_count(cohort, holds):
    """Baseline 4% absent, the last six weeks 6.5%: 2.5 points, under the 3-point line, unless the
    year group's absence halved over the same weeks (then the pupil was expected at 2%)."""
    figures = Figures(
        latest=DAYS[99],
        half_terms={"2025/1-autumn/1": [], "2025/2-spring/1": []},
        current_half_term="2025/2-spring/1",
        decline_windows=(DeclineWindow(school_days=30, start=DAYS[70], possible=200, absent=13, spells=13),),
        history=(400, 21),
    )
    every_fall_significant = dataclasses.replace(LINES, significance=1.0)
    found = assess(figures, every_fall_significant, lambda baseline, window: cohort, CONTEXT.days)
    assert (found is not None) == holds


MILD_SLIDE = Figures(  # 200 sessions at 98%, then nine weeks missing 2 sessions in every 10, in 9 spells
    latest=DAYS[99],
    half_terms={"2025/1-autumn/1": [], "2025/1-autumn/2": [], "2025/2-spring/1": []},
    current_half_term="2025/2-spring/1",
    decline_windows=(
        DeclineWindow(school_days=30, start=DAYS[70], possible=60, absent=12, spells=6),
        DeclineWindow(school_days=45, start=DAYS[55], possible=90, absent=18, spells=9),
    ),
    history=(290, 22),
)


def test_a_slide_too_mild_for_six_weeks_to_be_sure_of_holds_over_nine():
    found = assess(MILD_SLIDE, LINES, lambda baseline, window: STEADY_COHORT, CONTEXT.days)
    assert found is not None and found.window_school_days == 45 and found.p_value < LINES.significance
    assert reasons(found)[0] == "attended 98% before the last 9 weeks, 80% in them"
    six_weeks_only = MILD_SLIDE._replace(decline_windows=MILD_SLIDE.decline_windows[:1])
    assert assess(six_weeks_only, LINES, lambda baseline, window: STEADY_COHORT, CONTEXT.days) is None


def test_each_window_is_tested_at_its_share_of_the_significance_level():
    """Two windows are two chances for noise to look like a decline: each gets half the level."""
    one, two = Thresholds(decline_windows_school_days=(30,)), Thresholds(decline_windows_school_days=(30, 45))
    assert two.decline_lines.significance == one.decline_lines.significance / 2 == two.decline_significance / 2


def test_the_windows_are_set_as_a_list_of_school_days_and_a_bad_one_is_named(monkeypatch):
    monkeypatch.setenv("RISK_ENGINE_THRESHOLDS__DECLINE_WINDOWS_SCHOOL_DAYS", "30, 60")
    assert Settings().thresholds.decline_windows_school_days == (30, 60)
    monkeypatch.setenv("RISK_ENGINE_THRESHOLDS__DECLINE_WINDOWS_SCHOOL_DAYS", "30,six")
    with pytest.raises(ValidationError, match="thresholds.decline_windows_school_days.1"):
        Settings()
    with pytest.raises(ValueError, match="at least one window"):
        Thresholds(decline_windows_school_days=())


def recovering():
    """Strong for 100 days, then one day in five for six weeks (raised), then present every day: as
    the fallen weeks leave the window the evidence fades, and the long baseline stays strong a while."""

    def code(index, _):
        if index < 100:
            return "I" if index % 30 == 29 else "present"
        return "I" if index < 100 + WINDOW and (index - 100) % 5 == 0 else "present"

    return day_marks(DAYS[: 100 + 2 * WINDOW], code)


def with_hysteresis(level: float):
    return dataclasses.replace(with_cohort(STEADY_COHORT), thresholds=Thresholds(decline_resolve_significance=level))


def test_with_hysteresis_an_open_decline_is_held_at_the_looser_level_and_resolves_later():
    held = with_hysteresis(0.05)
    _, plain = run(recovering(), context=with_cohort(STEADY_COHORT))
    _, kept = run(recovering(), context=held)
    plain, kept = declines(plain), declines(kept)
    assert [t for t, _ in plain] == [t for t, _ in kept] == [Transition.RAISED, Transition.RESOLVED]
    assert plain[0] == kept[0] and kept[1][1] > plain[1][1]  # raised alike, resolved later


def test_decline_hysteresis_never_raises_at_the_looser_level():
    held = with_hysteresis(0.05)
    _, alerts = run(slide(60, WINDOW, every=10), context=held)
    assert declines(alerts) == []  # within chance at 0.001, though not at 0.05 (checked below)
    _, loose = run(slide(60, WINDOW, every=10), context=dataclasses.replace(
        held, thresholds=Thresholds(decline_significance=0.05)))  # fmt: skip
    assert declines(loose)


def test_the_looser_level_is_set_from_the_environment_and_must_be_looser(monkeypatch):
    monkeypatch.setenv("RISK_ENGINE_THRESHOLDS__DECLINE_RESOLVE_SIGNIFICANCE", "0.01")
    assert Settings().thresholds.decline_holding_lines.significance == 0.01
    monkeypatch.setenv("RISK_ENGINE_THRESHOLDS__DECLINE_RESOLVE_SIGNIFICANCE", "0.0005")
    with pytest.raises(ValidationError, match="decline_resolve_significance must be at least decline_significance"):
        Settings()
