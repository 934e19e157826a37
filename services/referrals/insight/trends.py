"""Weekly attendance this year against last year, week by week of the academic year, beside the
national figure for the same phase."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from services.referrals.insight import readings
from services.referrals.insight.national import national, phase_of
from services.referrals.insight.weeks import WeekCounts

WEEK = dt.timedelta(weeks=1)


@dataclass(frozen=True)
class TrendPoint:
    week: int  # 1 is the week holding 1 September
    week_start: dt.date  # this year's
    this_year: float | None  # attendance rate; None for a week without school
    last_year: float | None


@dataclass(frozen=True)
class Trend:
    points: list[TrendPoint]
    phase: str
    national_attendance: float
    national_source: str


def weekly_series(
    weeks: dict[dt.date, WeekCounts], this_start: dt.date, last_start: dt.date, until: dt.date
) -> list[TrendPoint]:
    """Pure: one point a week from `this_start` to `until`, with the same week of last year."""

    def rate(week: dt.date) -> float | None:
        counts = weeks.get(week)
        return round(counts.attended / counts.possible, 4) if counts and counts.possible else None

    points, number, week = [], 1, this_start
    while week <= until:
        points.append(TrendPoint(number, week, rate(week), rate(last_start + (number - 1) * WEEK)))
        number, week = number + 1, week + WEEK
    return points


def trend(session: Session, schools: frozenset[str] | None, today: dt.date) -> Trend:
    this_start = readings.academic_year_start(today)
    last_start = readings.academic_year_start(this_start - dt.timedelta(days=180))
    weeks = readings.school_weeks(session, schools, since=last_start)
    phases = {phase_of(years) for years in readings.year_groups(session, schools).values()}
    phase = phases.pop() if len(phases) == 1 else "all"
    return Trend(
        points=weekly_series(weeks, this_start, last_start, today),
        phase=phase,
        national_attendance=round(1 - national().absence_for(phase), 4),
        national_source=national().source,
    )
