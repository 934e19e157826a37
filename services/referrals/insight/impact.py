"""Did support help? Difference in differences against matched comparison pupils. Pure.

For each supported pupil, attendance in the weeks before support started and the weeks after; for
a comparison pupil (flagged, at the same school and in the same year group, with a similar rate
before, not served by then), the same weeks. The estimate is how much more the supported pupils'
attendance changed than the comparison pupils' did, from an ordinary least-squares fit of
rate ~ supported + after + supported×after with errors clustered by pupil (statsmodels).

It is observational: who was offered support, and who took it up, was staff's judgement and the
family's choice, not chance, so a difference can reflect who was chosen as well as what was done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm

from services.referrals.insight.weeks import WeekCounts, week_of

Weeks = Mapping[dt.date, WeekCounts]

MIN_PUPILS = 5  # a side with fewer gives no estimate (and could identify pupils)
BASELINE_BAND = 0.05  # comparison pupils' rate before within 5 points of the supported pupil's
MIN_SESSIONS = 10  # a window with fewer possible sessions says too little


@dataclass(frozen=True)
class Candidate:
    """A flagged pupil: when they were first flagged, and when support started (None: not served)."""

    school_urn: str
    pupil_id: str
    year_group: int | None
    flagged_on: dt.date
    started_on: dt.date | None
    profile: frozenset[str] = frozenset()  # what besides the year sets a pupil's usual absence (FSM, SEN)


@dataclass(frozen=True)
class Pair:
    supported: Candidate
    comparison: Candidate
    start: dt.date  # the supported pupil's start: both are measured either side of it


Baseline = Callable[[Candidate, dt.date], float | None]  # attendance in the weeks before a day


def match(supported: Iterable[Candidate], pool: Iterable[Candidate], baseline: Baseline, weeks: int) -> list[Pair]:
    """Each supported pupil paired with the closest unused comparison pupil: same school, year group and
    profile, flagged by the start, not served until the weeks after it are over, and attendance in the weeks
    before within the band of the supported pupil's. The closest pairs are made first."""
    pool = list(pool)
    alike: dict[tuple, list[int]] = {}
    for index, c in enumerate(pool):
        alike.setdefault((c.school_urn, c.year_group, c.profile), []).append(index)
    options = []
    for s in supported:
        start = s.started_on
        own = baseline(s, start) if start is not None else None
        if own is None:
            continue
        served_after = start + dt.timedelta(weeks=weeks)
        for index in alike.get((s.school_urn, s.year_group, s.profile), ()):
            c = pool[index]
            if c.pupil_id == s.pupil_id or c.flagged_on > start or (c.started_on and c.started_on < served_after):
                continue
            theirs = baseline(c, start)
            if theirs is not None and abs(theirs - own) <= BASELINE_BAND:
                options.append((abs(theirs - own), s.pupil_id, index, s))
    pairs, used_supported, used_pool = [], set(), set()
    for _, key, index, s in sorted(options, key=lambda o: o[:3]):
        if (s.school_urn, key) not in used_supported and index not in used_pool:
            used_supported.add((s.school_urn, key))
            used_pool.add(index)
            pairs.append(Pair(s, pool[index], s.started_on))
    return pairs


@dataclass(frozen=True)
class PeriodRate:
    pupil: str
    supported: bool
    after: bool
    rate: float


def window_rate(weeks: Weeks, first: dt.date, end: dt.date) -> float | None:
    """Attendance over the weeks from `first` up to (not including) `end`."""
    possible = attended = 0
    week = first
    while week < end:
        counts = weeks.get(week)
        if counts is not None:
            possible, attended = possible + counts.possible, attended + counts.attended
        week += dt.timedelta(weeks=1)
    return attended / possible if possible >= MIN_SESSIONS else None


Since = Callable[[dt.date], dt.date]  # where "before" begins for a start's week


def before_and_after(weeks: Weeks, start: dt.date, *, since: Since, window_weeks: int) -> tuple[float, float] | None:
    """Attendance from `since(start)` up to the start's week, and over the weeks after; None if either
    window lacks sessions."""
    start = week_of(start)
    before = window_rate(weeks, since(start), start)
    after = window_rate(weeks, start, start + dt.timedelta(weeks=window_weeks))
    return None if before is None or after is None else (before, after)


def _over(start: dt.date, window_weeks: int, today: dt.date) -> bool:
    return week_of(start) + dt.timedelta(weeks=window_weeks) <= week_of(today)


def period_rates(
    pairs: Iterable[Pair], weeks_of: Callable[[Candidate], Weeks], *, window_weeks: int, today: dt.date, since: Since
) -> tuple[list[PeriodRate], int]:
    """Both pupils' attendance before each pair's start (from `since`) and in the weeks after it; pairs
    whose weeks after are not yet over (or lack sessions) are left out and counted."""
    rates, unmeasured = [], 0
    for pair in pairs:
        if not _over(pair.start, window_weeks, today):
            unmeasured += 1
            continue
        measured = [
            (pupil, before_and_after(weeks_of(pupil), pair.start, since=since, window_weeks=window_weeks))
            for pupil in (pair.supported, pair.comparison)
        ]
        if any(rates_ is None for _, rates_ in measured):
            unmeasured += 1
            continue
        for (pupil, (before, after)), supported in zip(measured, (True, False), strict=True):
            name = f"{pupil.school_urn}|{pupil.pupil_id}"
            rates += [PeriodRate(name, supported, False, before), PeriodRate(name, supported, True, after)]
    return rates, unmeasured


@dataclass(frozen=True)
class RoundEntry:
    """A pupil in a randomised round of parent messages: offered a message, or held back."""

    school_urn: str
    pupil_id: str
    round_start: dt.date
    offered: bool  # False: held back at random


def round_rates(
    entries: Iterable[RoundEntry], weeks_of: Callable[[RoundEntry], Weeks], *, window_weeks: int, today: dt.date,
    since: Since,
) -> tuple[list[PeriodRate], int]:  # fmt: skip
    """Each entry's attendance before its round and in the weeks after, "supported" meaning offered a
    message; entries whose weeks after are not over (or lack sessions) are left out and counted. The
    arms were assigned at random, so no matching is needed: the held-back pupils are the comparison."""
    rates, unmeasured = [], 0
    for entry in entries:
        measured = _over(entry.round_start, window_weeks, today) and before_and_after(
            weeks_of(entry), entry.round_start, since=since, window_weeks=window_weeks
        )
        if not measured:
            unmeasured += 1
            continue
        name = f"{entry.school_urn}|{entry.pupil_id}"
        before, after = measured
        rates += [PeriodRate(name, entry.offered, False, before), PeriodRate(name, entry.offered, True, after)]
    return rates, unmeasured


@dataclass(frozen=True)
class Estimate:
    effect: float  # change in attendance rate, supported minus comparison (0.03 is 3 points)
    low: float
    high: float
    p_value: float
    supported: int
    comparison: int
    supported_before: float
    supported_after: float
    comparison_before: float
    comparison_after: float


def difference_in_differences(rates: Iterable[PeriodRate], level: float = 0.95) -> Estimate | None:
    """The supported×after coefficient with its confidence interval; None with too few pupils."""
    rates = list(rates)
    supported = {r.pupil for r in rates if r.supported}
    comparison = {r.pupil for r in rates if not r.supported}
    if len(supported) < MIN_PUPILS or len(comparison) < MIN_PUPILS:
        return None
    treated = np.array([r.supported for r in rates], dtype=float)
    after = np.array([r.after for r in rates], dtype=float)
    design = np.column_stack([np.ones(len(rates)), treated, after, treated * after])
    outcome = np.array([r.rate for r in rates])
    clusters = np.unique([r.pupil for r in rates], return_inverse=True)[1]
    fit = sm.OLS(outcome, design).fit(cov_type="cluster", cov_kwds={"groups": clusters})
    low, high = fit.conf_int(alpha=1 - level)[3]

    def mean(is_supported: bool, is_after: bool) -> float:
        return float(np.mean([r.rate for r in rates if r.supported == is_supported and r.after == is_after]))

    return Estimate(
        effect=float(fit.params[3]),
        low=float(low),
        high=float(high),
        p_value=float(fit.pvalues[3]),
        supported=len(supported),
        comparison=len(comparison),
        supported_before=mean(True, False),
        supported_after=mean(True, True),
        comparison_before=mean(False, False),
        comparison_after=mean(False, True),
    )
