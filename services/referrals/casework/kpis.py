"""The casework KPIs, from facts about cases and referrals. Pure.

The borough's target (seed 3.3) is that at least 75% of flagged pupils receive a tailored
intervention; it is measured here as an intervention *started* within 10 school days of the
pupil's first alert at the school. A pupil counts once their 10-school-day window has passed;
pupils still inside it are reported as pending, so a fresh alert does not drag the share down.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

TARGET_SHARE = 0.75
WINDOW_SCHOOL_DAYS = 10
FUNNEL = ("referred", "consented", "declined", "started", "ended")

SchoolDaysBetween = Callable[[str, dt.date, dt.date], int]  # school days in (first, last]


@dataclass(frozen=True)
class FlaggedCase:
    case_id: int
    school_urn: str
    first_alert_on: dt.date
    closed_outcome: str | None = None


@dataclass(frozen=True)
class ReferralFacts:
    case_id: int
    intervention: str
    status: str
    referred_on: dt.date | None  # offered, or put on a waitlist
    consented_on: dt.date | None = None
    declined_on: dt.date | None = None
    started_on: dt.date | None = None
    ended_on: dt.date | None = None


@dataclass(frozen=True)
class Kpis:
    flagged_pupils: int
    assessed: int  # whose 10-school-day window has passed
    supported_in_time: int
    pending: int
    share_supported_in_time: float | None
    target_share: float
    funnel: dict[str, int] = field(default_factory=dict)
    median_days_referral_to_start: float | None = None
    waitlist_length: int = 0
    cases_closed_by_outcome: dict[str, int] = field(default_factory=dict)
    by_intervention: dict[str, dict[str, int]] = field(default_factory=dict)


def compute(
    cases: Iterable[FlaggedCase], referrals: Iterable[ReferralFacts], school_days: SchoolDaysBetween, today: dt.date
) -> Kpis:
    cases, referrals = list(cases), list(referrals)
    first_start: dict[int, dt.date] = {}
    for referral in referrals:
        if referral.started_on is not None:
            earliest = first_start.get(referral.case_id, referral.started_on)
            first_start[referral.case_id] = min(earliest, referral.started_on)
    assessed = in_time = pending = 0
    for case in cases:
        started = first_start.get(case.case_id)
        if started is not None and school_days(case.school_urn, case.first_alert_on, started) <= WINDOW_SCHOOL_DAYS:
            assessed, in_time = assessed + 1, in_time + 1
        elif school_days(case.school_urn, case.first_alert_on, today) >= WINDOW_SCHOOL_DAYS:
            assessed += 1
        else:
            pending += 1
    waits = [
        (r.started_on - r.referred_on).days for r in referrals if r.started_on is not None and r.referred_on is not None
    ]
    return Kpis(
        flagged_pupils=len(cases),
        assessed=assessed,
        supported_in_time=in_time,
        pending=pending,
        share_supported_in_time=round(in_time / assessed, 4) if assessed else None,
        target_share=TARGET_SHARE,
        funnel=_funnel(referrals),
        median_days_referral_to_start=statistics.median(waits) if waits else None,
        waitlist_length=sum(r.status == "waitlisted" for r in referrals),
        cases_closed_by_outcome=dict(Counter(case.closed_outcome for case in cases if case.closed_outcome)),
        by_intervention={
            code: _funnel(r for r in referrals if r.intervention == code)
            for code in sorted({r.intervention for r in referrals})
        },
    )


def _funnel(referrals: Iterable[ReferralFacts]) -> dict[str, int]:
    """How many referrals reached each step of the funnel."""
    counts = dict.fromkeys(FUNNEL, 0)
    for r in referrals:
        counts["referred"] += r.referred_on is not None
        counts["consented"] += r.consented_on is not None
        counts["declined"] += r.declined_on is not None
        counts["started"] += r.started_on is not None
        counts["ended"] += r.ended_on is not None
    return counts
