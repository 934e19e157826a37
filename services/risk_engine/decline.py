"""`attendance_decline`: a strong attender whose attendance has fallen by more than the school's
own seasonal change and by more than chance explains. Pure; docs/alert-rules.md states it.

The last few weeks (a rolling window of school days, six weeks by default; with several windows,
each is tested at its share of the significance level) against everything before them at this
school, last year's marks included when they are loaded: the baseline must be strong and long
enough to mean it. The cohort's change from the baseline's half-terms to the window's is the
seasonal part.

Chance is judged with a beta-binomial: the pupil's own absence rate is uncertain (a pupil who
usually misses 6% can have a clean month), so it is a beta distribution, a prior over all
pupils updated with the baseline and scaled by the cohort's seasonal change. Absence comes in
spells (an illness is several sessions), so the window's evidence is its number of separate
spells, out of its possible sessions in units of an average spell, and the baseline's sessions
are counted in the same units (Kish's design effect): one long illness is one spell, however
many sessions it took, while a slide shows as spell after spell.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from services.risk_engine.cohorts import SeasonalChange
from services.risk_engine.figures import DeclineWindow, Figures
from shared.calendar import SchoolDays

RULE = "attendance_decline"
MIN_SEASONAL_RATIO, MAX_SEASONAL_RATIO = 0.5, 3.0
# (the baseline's half-terms, the window's) -> the cohort's change between them, or None when unknown
SeasonalReference = Callable[[list[str], list[str]], SeasonalChange | None]


class Sessions(NamedTuple):
    possible: int
    absent: int

    @property
    def absence_rate(self) -> float:
        return self.absent / self.possible if self.possible else 0.0

    @property
    def attendance_rate(self) -> float:
        return 1 - self.absence_rate if self.possible else 0.0


@dataclass(frozen=True)
class DeclineLines:
    strong_attendance: float  # the baseline must be above this
    significance: float  # one-sided level of the test
    min_fall: float  # beyond the seasonal change, in attendance rate
    baseline_sessions: int  # least baseline: about a half-term
    window_sessions: int  # least possible sessions in the window to test it
    spell_sessions: float  # average absent sessions per spell: the design effect
    prior_absence: float  # the prior's mean: absence over all pupils
    prior_strength: float  # the prior's weight, in spells: small, as pupils differ widely


@dataclass(frozen=True)
class Decline:
    before: Sessions
    now: Sessions
    window_school_days: int
    seasonal: SeasonalChange | None
    p_value: float


def assess(f: Figures, lines: DeclineLines, seasonal: SeasonalReference, days: SchoolDays) -> Decline | None:
    """The decline in the window with the strongest evidence (the least p-value) when the rule holds
    in any of them, else None."""
    strongest = None
    for window in f.decline_windows:  # a loop, not min() over a list: this runs for every mark
        found = _assess_window(f, window, lines, seasonal, days)
        if found is not None and (strongest is None or found.p_value < strongest.p_value):
            strongest = found
    return strongest


def _assess_window(
    f: Figures, window: DeclineWindow, lines: DeclineLines, seasonal: SeasonalReference, days: SchoolDays
) -> Decline | None:
    """The cheap tests come first, on plain numbers: this runs on every evaluation and nearly
    always stops there."""
    possible_now, absent_now = window.possible, window.absent
    if possible_now < lines.window_sessions:
        return None
    possible_before, absent_before = f.history[0] - possible_now, f.history[1] - absent_now
    if possible_before < lines.baseline_sessions or 1 - absent_before / possible_before <= lines.strong_attendance:
        return None  # too short, or not above the strong line
    now, before = Sessions(possible_now, absent_now), Sessions(possible_before, absent_before)
    if now.absence_rate - before.absence_rate * MIN_SEASONAL_RATIO < lines.min_fall:
        return None  # not enough of a fall even in the kindest season
    window_half_terms = sorted({days.half_term_of(window.start), f.current_half_term} - {None})
    baseline_half_terms = [key for key in sorted(f.half_terms) if key < window_half_terms[0]]
    change = seasonal(baseline_half_terms, window_half_terms)
    ratio = _seasonal_ratio(change)
    if now.absence_rate - before.absence_rate * ratio < lines.min_fall:
        return None
    p_value = upper_tail(now, window.spells, before, ratio, lines)
    if p_value > lines.significance:
        return None
    return Decline(before, now, window.school_days, change, p_value)


def _seasonal_ratio(change: SeasonalChange | None) -> float:
    """How much more (or less) the cohort is absent now than over the baseline, within limits."""
    if change is None:
        return 1.0
    return min(MAX_SEASONAL_RATIO, max(MIN_SEASONAL_RATIO, (1 - change.now) / max(1 - change.before, 0.005)))


def upper_tail(now: Sessions, spells: int, before: Sessions, ratio: float, lines: DeclineLines) -> float:
    """P(at least `spells` separate spells of absence now) if nothing changed but the season: the
    beta-binomial predictive tail, with the sessions in units of an average spell (rounded)."""
    spell = lines.spell_sessions
    if spells <= 0:
        return 1.0
    trials = max(spells, round(now.possible / spell))
    a = (lines.prior_absence * lines.prior_strength + before.absent / spell) * ratio
    b = (1 - lines.prior_absence) * lines.prior_strength + (before.possible - before.absent) / spell
    return beta_binomial_tail(spells, trials, a, b)


def beta_binomial_tail(k: int, n: int, a: float, b: float) -> float:
    """P(X >= k) for X ~ BetaBinomial(n, a, b), summed from P(X = 0) by the ratio of successive
    terms: equal to scipy.stats.betabinom.sf(k - 1, n, a, b) (tested), fifty times faster, which
    matters on the engine's hot path."""
    term = math.exp(math.lgamma(n + b) + math.lgamma(a + b) - math.lgamma(a + n + b) - math.lgamma(b))
    for j in range(k):
        term *= (n - j) / (j + 1) * (j + a) / (n - j - 1 + b)
    tail = 0.0
    for j in range(k, n + 1):
        tail += term
        term *= (n - j) / (j + 1) * (j + a) / (n - j - 1 + b) if j < n else 0.0
    return min(1.0, tail)


def reasons(decline: Decline) -> list[str]:
    """Plain words: what the pupil attended before and now, and what the school's year group did."""
    weeks = max(1, round(decline.window_school_days / 5))
    said = [
        f"attended {decline.before.attendance_rate:.0%} before the last {weeks} weeks, "
        f"{decline.now.attendance_rate:.0%} in them"
    ]
    change = decline.seasonal
    if change is None:
        said.append("the school's figures for the same weeks are not in yet")
    else:
        who = f"the school's year {change.year_group}" if change.year_group is not None else "the school as a whole"
        points = round(100 * change.fall)
        moved = "did not change" if points == 0 else f"{'fell' if points > 0 else 'rose'} {abs(points)} point"
        said.append(f"{who} {moved}{'s' if abs(points) > 1 else ''} over the same weeks")
    said.append(f"chance alone explains a fall this size {_odds(decline.p_value)}")
    return said


def figures(decline: Decline) -> dict[str, float]:
    change = decline.seasonal
    return {
        "baseline_attendance": round(decline.before.attendance_rate, 4),
        "recent_attendance": round(decline.now.attendance_rate, 4),
        "cohort_change": round(-change.fall, 4) if change else 0.0,
        "p_value": round(decline.p_value, 6),
    }


def _odds(p_value: float) -> str:
    for limit, words in ((0.001, "1 time in 1,000"), (0.01, "1 time in 100"), (0.05, "1 time in 20")):
        if p_value < limit:
            return f"less than {words}"
    return f"about 1 time in {max(1, round(1 / p_value))}"
