"""A generous bound on how early and how precisely a decline could be warned of from the generator's
marks, to read the decline rule's figures against.

A CUSUM (Page's cumulative sum) that is told what no real rule can know: each strong attender's
planted absence propensity, the generator's factor for every day (term, weekday, the run-up to a
break, a strongly seasonal school) and its spell process. On each day a pupil could start a spell
of absence (they were present the school day before), it adds the log-likelihood ratio of what
happened under "their rate has risen by `shift`" against "their planted rate"; it alarms the first
time the sum passes a threshold. With the rate known, chance runs of absence are the only false
alarms left, and its operating points (a grid of thresholds, the best chosen on the very seeds it
is measured on) are deliberately generous: a rule that must learn each pupil's rate from their own
marks should not expect to beat them. It is a bound from one family of detectors, not a proof about
every rule.

The population is the rule's: pupils whose planted propensity is a strong attender's (below 5%),
on days their marks count (not before they join, not days of a planted missing-education run, not
days at their other school).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from shared.codes import CodeTable
from shared.statistics import median_or_none
from synthetic.borough import Pupil, School
from synthetic.calendar import academic_year, school_days
from synthetic.marks import absence_factor, before_break, planted_propensity, spell_start_chance

STRONG_PROPENSITY = 0.05  # the rule looks only at pupils attending above 95%
SHIFTS = (0.05, 0.1)  # the rise in absence share each CUSUM is tuned to detect
THRESHOLDS = tuple(x / 2 for x in range(6, 19))  # 3 to 9 in halves
WANTED_PRECISION, WANTED_LEAD = 0.8, 20  # issue #14's targets
MAX_SHARE = 0.95  # as the generator caps a day's absence share

# final codes of one pupil: (ISO date, session) -> code
Codes = dict[tuple[str, str], str]


@dataclass(frozen=True)
class OperatingPoint:
    shift: float
    threshold: float
    flagged: int
    precision: float | None
    recall: float
    median_lead_days: float | None


def absent_days(codes: Codes, table: CodeTable, day_index: dict[str, int]) -> list[tuple[int, bool]]:
    """(school-day index, absent all day) for each day both sessions count: a spell of absence is
    whole days, so a day with one absent session (an appointment, a late arrival) is not one."""
    days = []
    for date in sorted({date for date, _ in codes}):
        sessions = [table.category(codes[(date, s)]) for s in ("AM", "PM") if (date, s) in codes]
        if len(sessions) == 2 and all(c.counts_as_possible for c in sessions):
            days.append((day_index[date], not any(c.attended for c in sessions)))
    return days


def alarm_days(path: Iterable[tuple[int, float]], thresholds: Iterable[float]) -> dict[float, int]:
    """For each threshold, the first day index the sum reached it (none if it never did)."""
    first: dict[float, int] = {}
    waiting = sorted(thresholds)
    for day, total in path:
        while waiting and total >= waiting[0]:
            first[waiting.pop(0)] = day
        if not waiting:
            break
    return first


def cusum_path(
    pupil: Pupil, days: list[tuple[int, bool]], factors: list[float], shift: float
) -> Iterator[tuple[int, float]]:
    """(day index, the sum after it) on each day the pupil could start a spell."""
    total, absent_before = 0.0, False
    for day, absent in days:
        if not absent_before:
            planted = planted_propensity(pupil, day, declining=False)
            usual, raised = (min(MAX_SHARE, share * factors[day]) for share in (planted, planted + shift))
            s0, s1 = spell_start_chance(usual), spell_start_chance(raised)
            total = max(0.0, total + (math.log(s1 / s0) if absent else math.log((1 - s1) / (1 - s0))))
            yield day, total
        absent_before = absent


def day_factors(schools: list[School], start_year: int) -> dict[bool, list[float]]:
    """The generator's absence factor for every school day, in ordinary and strongly seasonal schools."""
    days = school_days(*academic_year(start_year))
    return {
        seasonal: [absence_factor(day, term, before_break(days, i), seasonal) for i, (day, term) in enumerate(days)]
        for seasonal in (False, True)
    }


def _counted(pupil: Pupil, days: list[tuple[int, bool]]) -> list[tuple[int, bool]]:
    """Days of a planted missing-education run are the oracle's to leave out: it knows the plan."""
    if pupil.missing_from is None:
        return days
    return [(d, a) for d, a in days if not 0 <= d - pupil.missing_from < pupil.missing_days]


def operating_points(
    pupils: list[Pupil],
    final_codes: dict[str, Codes],
    crossing: dict[str, int],
    *,
    schools: list[School],
    table: CodeTable,
    start_year: int,
) -> list[OperatingPoint]:
    """Precision, recall and median lead against the planted decliners at every shift and threshold."""
    day_index = {day.isoformat(): i for i, (day, _) in enumerate(school_days(*academic_year(start_year)))}
    factors = day_factors(schools, start_year)
    seasonal = {school.urn for school in schools if school.seasonal}
    strong = [p for p in pupils if p.propensity < STRONG_PROPENSITY and p.upn in final_codes]
    decliners = {p.upn for p in pupils if p.decliner}
    marks = {p.upn: _counted(p, absent_days(final_codes[p.upn], table, day_index)) for p in strong}
    points = []
    for shift in SHIFTS:
        alarms = {
            p.upn: alarm_days(cusum_path(p, marks[p.upn], factors[p.school_urn in seasonal], shift), THRESHOLDS)
            for p in strong
        }
        for threshold in THRESHOLDS:
            first = {upn: found[threshold] for upn, found in alarms.items() if threshold in found}
            hits = decliners & set(first)
            leads = [crossing[upn] - first[upn] for upn in hits if upn in crossing]
            points.append(
                OperatingPoint(
                    shift=shift,
                    threshold=threshold,
                    flagged=len(first),
                    precision=len(hits) / len(first) if first else None,
                    recall=len(hits) / len(decliners) if decliners else 0.0,
                    median_lead_days=median_or_none(leads),
                )
            )
    return points


def mean_points(per_seed: list[list[OperatingPoint]]) -> list[OperatingPoint]:
    """Each operating point's figures averaged over the seeds (a seed without a figure left out)."""

    def mean(values: list[float | None]) -> float | None:
        found = [v for v in values if v is not None]
        return round(sum(found) / len(found), 2) if found else None

    return [
        OperatingPoint(
            shift=points[0].shift,
            threshold=points[0].threshold,
            flagged=round(sum(p.flagged for p in points) / len(points)),
            precision=mean([p.precision for p in points]),
            recall=mean([p.recall for p in points]) or 0.0,
            median_lead_days=mean([p.median_lead_days for p in points]),
        )
        for points in zip(*per_seed, strict=True)
    ]


def best_points(points: list[OperatingPoint]) -> dict[str, OperatingPoint | None]:
    """The longest median lead among points at least as precise as wanted, and the best precision
    among points with at least the wanted lead: the two halves of the target, each at its best."""
    precise = [p for p in points if p.precision is not None and p.precision >= WANTED_PRECISION]
    early = [p for p in points if p.median_lead_days is not None and p.median_lead_days >= WANTED_LEAD]
    return {
        f"longest lead at precision {WANTED_PRECISION} or more": max(
            precise, key=lambda p: p.median_lead_days or -math.inf, default=None
        ),
        f"best precision at a median lead of {WANTED_LEAD} or more": max(
            early, key=lambda p: p.precision or 0.0, default=None
        ),
    }
