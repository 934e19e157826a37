"""The oracle bound the decline rule is read against (issue #14): whole days of absence, Page's
cumulative sum on the planted rate (never the planted decline), its alarms, and the operating
points chosen for each half of the target."""

import dataclasses
import math
from collections import defaultdict

import pytest

from shared.codes import current_table
from synthetic.best_possible import (
    OperatingPoint,
    absent_days,
    alarm_days,
    best_points,
    cusum_path,
    mean_points,
    operating_points,
)
from synthetic.borough import make_borough
from synthetic.evaluation import pa_crossings
from synthetic.evaluation_report import best_possible_table
from synthetic.marks import school_year_marks, spell_start_chance


def test_a_day_of_absence_is_both_sessions_absent_and_days_that_do_not_count_are_left_out():
    days = {"2025-09-03": 0, "2025-09-04": 1, "2025-09-05": 2, "2025-09-08": 3, "2025-09-09": 4}
    codes = {("2025-09-03", "AM"): "N", ("2025-09-03", "PM"): "I",  # a spell
             ("2025-09-04", "AM"): "U", ("2025-09-04", "PM"): "\\",  # late after the register closed
             ("2025-09-05", "AM"): "D", ("2025-09-05", "PM"): "D",  # at the other school
             ("2025-09-08", "AM"): "/", ("2025-09-08", "PM"): "\\",
             ("2025-09-09", "AM"): "O"}  # fmt: skip
    assert absent_days(codes, current_table(), days) == [(0, True), (1, False), (3, False)]


@pytest.fixture(scope="module")
def borough():
    return make_borough(seed=5, schools=2, pupils_per_school=200)


def test_the_sum_adds_the_log_likelihood_ratio_on_days_a_spell_could_start(borough):
    _, pupils = borough
    decliner = next(p for p in pupils if p.decline)
    steady = dataclasses.replace(decliner, propensity=0.02, decline=None, enrichment=None)
    days = [(0, False), (1, True), (2, True), (3, False), (4, True)]  # day 2 is inside a spell; day 3 follows one
    s0, s1 = spell_start_chance(0.02), spell_start_chance(0.12)
    rise = math.log(s1 / s0)
    path = list(cusum_path(steady, days, [1.0] * 5, shift=0.1))
    assert [day for day, _ in path] == [0, 1, 4]
    assert [total for _, total in path] == pytest.approx([0.0, rise, 2 * rise])  # a present day cannot go below 0
    doubled = list(cusum_path(steady, days, [2.0] * 5, shift=0.1))
    assert doubled[1][1] == pytest.approx(math.log(spell_start_chance(0.24) / spell_start_chance(0.04)))
    planted = dataclasses.replace(steady, decline=decliner.decline)
    assert list(cusum_path(planted, days, [1.0] * 5, shift=0.1)) == path  # the oracle is not told the decline


def test_each_threshold_alarms_on_the_first_day_the_sum_reaches_it():
    assert alarm_days([(0, 1.0), (3, 2.5), (7, 5.0), (9, 0.0)], [9.0, 2.0, 2.5]) == {2.0: 3, 2.5: 3}
    assert alarm_days([], [1.0]) == {}


def test_the_oracle_finds_the_planted_decliners_and_a_higher_threshold_flags_fewer(borough):
    schools, pupils = borough
    final_codes = defaultdict(dict)
    for _, rows in school_year_marks(pupils, seed=5, start_year=2025, schools=schools):
        for row in rows:
            final_codes[row["upn"]][(row["date"], row["session"])] = row["code"]
    crossing = pa_crossings(final_codes, current_table(), 2025)
    points = operating_points(pupils, final_codes, crossing, schools=schools, table=current_table(), start_year=2025)
    for shift in {p.shift for p in points}:
        flagged = [p.flagged for p in sorted(points, key=lambda p: p.threshold) if p.shift == shift]
        assert flagged == sorted(flagged, reverse=True) and flagged[0] > flagged[-1]
    assert max(p.recall for p in points) >= 0.9  # told every rate, it misses almost no slide
    assert max(p.precision or 0 for p in points) >= 0.9


def _point(threshold, precision, lead, flagged=10, recall=1.0):
    return OperatingPoint(0.05, threshold, flagged, precision, recall, lead)


def test_the_seeds_are_averaged_and_each_half_of_the_target_gets_its_best_point():
    seeds = [[_point(3, 0.5, 25), _point(5, 0.8, 18), _point(7, 1.0, None)],
             [_point(3, 0.7, 21), _point(5, 0.9, 14, flagged=13), _point(7, 1.0, 9, recall=0.9)]]  # fmt: skip
    points = mean_points(seeds)
    assert points[1] == _point(5, 0.85, 16, flagged=12)  # 11.5 rounds to even
    assert points[2].median_lead_days == 9 and points[2].recall == 0.95  # the seed without a lead is left out
    chosen = list(best_points(points).values())
    assert chosen == [points[1], points[0]]  # the longest lead at 0.8, the best precision at a lead of 20
    assert list(best_points(points[2:]).values()) == [points[2], None]
    rule = {"rule": "attendance_decline", "flagged": 120.0, "precision": 0.69, "recall": 0.67, "median_lead_days": 12.2}
    table = best_possible_table([{"best_possible": seed} for seed in seeds], [rule])
    assert "| 5% | 5 | 12 | 0.85 | 1 | 16 |" in table
    assert "| attendance_decline | | | 120 | 0.69 | 0.67 | 12.2 |" in table
