"""The impact evaluation on synthetic pupils with a planted effect: matching, the weeks either side of
the start, and the difference in differences (its interval must hold the planted effect, or 0)."""

import datetime as dt
import random

import pytest

from services.referrals.insight.impact import (
    Candidate,
    PeriodRate,
    RoundEntry,
    difference_in_differences,
    match,
    period_rates,
    round_rates,
    window_rate,
)
from services.referrals.insight.weeks import WeekCounts, week_of

START = dt.date(2025, 11, 3)  # a Monday
TODAY = dt.date(2026, 2, 2)
WEEKS = 6


def cohort(seed: int, effect: float, pupils: int = 60):
    """Supported and not-yet-served pupils alike before the start; from it, attendance drifts down for
    everyone (the season) and the supported pupils' moves by `effect` as well."""
    chance = random.Random(seed)
    weeks, supported, pool = {}, [], []
    for n in range(pupils * 2):
        is_supported = n < pupils
        school, year = ("111111", "222222")[n % 2], 7 + n % 3
        base = chance.uniform(0.80, 0.90)
        person = Candidate(school, f"p{n}", year, START - dt.timedelta(days=20), START if is_supported else None)
        (supported if is_supported else pool).append(person)
        record = {}
        for offset in range(-WEEKS, WEEKS):
            week = START + dt.timedelta(weeks=offset)
            rate = base - (0.02 if offset >= 0 else 0) + (effect if is_supported and offset >= 0 else 0)
            attended = sum(chance.random() < rate for _ in range(10))
            record[week] = WeekCounts(possible=10, attended=attended, authorised=10 - attended)
        weeks[(school, person.pupil_id)] = record
    return weeks, supported, pool


def six_weeks_before(start: dt.date) -> dt.date:
    return start - dt.timedelta(weeks=WEEKS)


def estimate(seed: int, effect: float):
    weeks, supported, pool = cohort(seed, effect)

    def weeks_of(c):
        return weeks[(c.school_urn, c.pupil_id)]

    def baseline(c, start):
        return window_rate(weeks_of(c), week_of(start) - dt.timedelta(weeks=WEEKS), week_of(start))

    pairs = match(supported, pool, baseline, WEEKS)
    rates, unmeasured = period_rates(pairs, weeks_of, window_weeks=WEEKS, today=TODAY, since=six_weeks_before)
    return pairs, unmeasured, difference_in_differences(rates)


SEEDS = range(1, 21)


@pytest.mark.parametrize("effect", [0.05, 0.0])
def test_the_interval_holds_the_planted_effect_as_often_as_it_claims(effect):
    """A 95% interval should miss about 1 borough in 20: over 20 seeded boroughs it may miss 3 at most,
    and the estimates centre on what was planted."""
    results = [estimate(seed, effect) for seed in SEEDS]
    assert all(len(pairs) >= 40 and unmeasured == 0 for pairs, unmeasured, _ in results)
    covered = sum(r.low < effect < r.high for _, _, r in results)
    assert covered >= 17
    assert sum(r.effect for _, _, r in results) / len(results) == pytest.approx(effect, abs=0.01)


def test_a_planted_effect_of_five_points_is_told_apart_from_none():
    _, _, result = estimate(1, effect=0.05)
    assert result.low > 0
    assert result.comparison_after < result.comparison_before  # the season the comparison takes out


def test_pairs_share_school_and_year_group_and_a_close_baseline():
    weeks, supported, pool = cohort(1, 0.0)
    pairs = match(supported, pool, lambda c, start: 0.9 if c.pupil_id in ("p0", "p84") else 0.5, WEEKS)
    by_supported = {pair.supported.pupil_id: pair.comparison.pupil_id for pair in pairs}
    assert by_supported["p0"] == "p84"  # the only one within 5 points, at the same school and year
    assert all(
        (p.supported.school_urn, p.supported.year_group) == (p.comparison.school_urn, p.comparison.year_group)
        for p in pairs
    )
    assert len({p.comparison.pupil_id for p in pairs}) == len(pairs)  # each comparison pupil used once


def test_a_comparison_pupil_shares_free_school_meals_and_sen_status():
    person = Candidate("111111", "s1", 7, START, START, frozenset({"fsm"}))
    others = [Candidate("111111", "c1", 7, START, None), Candidate("111111", "c2", 7, START, None, frozenset({"fsm"}))]
    pairs = match([person], others, lambda c, start: 0.8, WEEKS)
    assert [pair.comparison.pupil_id for pair in pairs] == ["c2"]


def test_a_pupil_served_within_the_weeks_after_or_flagged_later_is_no_comparison():
    served_soon = Candidate("111111", "c1", 7, START, START + dt.timedelta(weeks=2))
    flagged_later = Candidate("111111", "c2", 7, START + dt.timedelta(days=1), None)
    served_later = Candidate("111111", "c3", 7, START, START + dt.timedelta(weeks=WEEKS))
    person = Candidate("111111", "s1", 7, START, START)
    pairs = match([person], [served_soon, flagged_later, served_later], lambda c, start: 0.8, WEEKS)
    assert [pair.comparison.pupil_id for pair in pairs] == ["c3"]


def test_weeks_after_that_are_not_over_are_left_out_and_counted():
    weeks, supported, pool = cohort(1, 0.0, pupils=10)
    pairs = match(supported, pool, lambda c, start: 0.85, WEEKS)
    rates, unmeasured = period_rates(pairs, lambda c: weeks[(c.school_urn, c.pupil_id)], window_weeks=WEEKS,
                                     today=START + dt.timedelta(weeks=3), since=six_weeks_before)  # fmt: skip
    assert rates == [] and unmeasured == len(pairs) > 0


def test_too_few_pupils_give_no_estimate():
    rates = [PeriodRate(f"p{n}", n < 4, after, 0.9) for n in range(8) for after in (False, True)]
    assert difference_in_differences(rates) is None


def randomised_round(seed: int, effect: float, pupils: int = 200, held_back_share: float = 0.3):
    """A school's round: a share of its flagged pupils held back at random; everyone's attendance drifts
    down from the round (the season), and the offered pupils' moves by `effect` as well."""
    chance = random.Random(seed)
    weeks, entries = {}, []
    for n in range(pupils):
        entry = RoundEntry("111111", f"p{n}", START, offered=chance.random() >= held_back_share)
        base = chance.uniform(0.80, 0.92)
        record = {}
        for offset in range(-WEEKS, WEEKS):
            week = START + dt.timedelta(weeks=offset)
            rate = base - (0.02 if offset >= 0 else 0) + (effect if entry.offered and offset >= 0 else 0)
            attended = sum(chance.random() < rate for _ in range(10))
            record[week] = WeekCounts(possible=10, attended=attended, authorised=10 - attended)
        weeks[entry.pupil_id] = record
        entries.append(entry)
    return weeks, entries


def round_estimate(seed: int, effect: float, today: dt.date = TODAY):
    weeks, entries = randomised_round(seed, effect)
    rates, unmeasured = round_rates(
        entries, lambda e: weeks[e.pupil_id], window_weeks=WEEKS, today=today, since=six_weeks_before
    )
    return unmeasured, difference_in_differences(rates)


@pytest.mark.parametrize("effect", [0.03, 0.0])
def test_offered_against_held_back_finds_a_planted_effect_of_a_message_or_none(effect):
    results = [round_estimate(seed, effect) for seed in SEEDS]
    # Every pupil measured, the held-back pupils as the comparison (about 30% of 200).
    assert all(
        unmeasured == 0 and r.supported + r.comparison == 200 and 40 <= r.comparison <= 80 for unmeasured, r in results
    )
    covered = sum(r.low < effect < r.high for _, r in results)
    assert covered >= 17
    assert sum(r.effect for _, r in results) / len(results) == pytest.approx(effect, abs=0.01)


def test_a_round_whose_weeks_after_are_not_over_is_counted_and_left_out():
    unmeasured, result = round_estimate(1, 0.0, today=START + dt.timedelta(weeks=3))
    assert unmeasured == 200 and result is None
