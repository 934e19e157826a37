"""The borough view: today's figures for a scope (the borough or one school), year to date and this
half-term, each breakdown as it may be shown to whoever asked, beside the national figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from services.referrals.insight import readings
from services.referrals.insight.figures import MIN_POSSIBLE, BoroughFigures, borough_figures
from services.referrals.insight.national import NationalFigures, national, phase_of
from services.referrals.insight.recent import Recent
from services.referrals.insight.suppression import PublishedRow, suppress
from shared.events import utcnow
from shared.ops import collector_paused


@dataclass(frozen=True)
class PublishedBreakdown:
    dimension: str
    total: PublishedRow
    rows: list[PublishedRow]


@dataclass(frozen=True)
class PeriodView:
    period: str  # "year to date" or "this half-term"
    total: PublishedRow
    breakdowns: dict[str, PublishedBreakdown]


@dataclass(frozen=True)
class SchoolBenchmark:
    school_urn: str
    phase: str
    absence_rate: float | str | None  # year to date, "c" where suppressed
    national_absence_rate: float


@dataclass(frozen=True)
class BoroughView:
    as_of: dt.date
    counted_at: dt.datetime  # answers are reused for a short while (recent.py)
    schools: list[str] | None  # None: the whole borough
    suppressed: bool
    counted_from_possible_sessions: int
    year_to_date: PeriodView
    half_term: PeriodView
    half_terms: dict[str, str]  # school -> the half-term its figures are for
    benchmarks: list[SchoolBenchmark]
    national: NationalFigures


def publish(period: str, figures: BoroughFigures, suppressed: bool) -> PeriodView:
    breakdowns = {}
    for name, breakdown in figures.breakdowns.items():
        if suppressed:
            total, rows = suppress(breakdown)
        else:
            total, rows = PublishedRow.of(breakdown.total), [PublishedRow.of(row) for row in breakdown.rows]
        breakdowns[name] = PublishedBreakdown(name, total, rows)
    return PeriodView(period, breakdowns["school"].total, breakdowns)


def recent_borough_view(
    recent: Recent[BoroughView], session: Session, schools: frozenset[str] | None, today: dt.date, suppressed: bool
) -> BoroughView:
    """The borough view, counted again only when the last one for the same question is not recent."""
    key = ("borough", schools, today, suppressed)
    return recent.get(key, lambda: borough_view(session, schools, today, suppressed))


def borough_view(session: Session, schools: frozenset[str] | None, today: dt.date, suppressed: bool) -> BoroughView:
    # a few hundred thousand short-lived tuples: collections meanwhile took a third of the time
    with collector_paused():
        return _counted(session, schools, today, suppressed)


def _counted(session: Session, schools: frozenset[str] | None, today: dt.date, suppressed: bool) -> BoroughView:
    years_on_roll = readings.year_groups(session, schools)
    year = borough_figures(readings.year_to_date_pupils(session, schools, today))
    half_term, spans = readings.half_term_pupils(session, set(schools or years_on_roll), today)
    year_view = publish("year to date", year, suppressed)
    published_schools = {row.group: row for row in year_view.breakdowns["school"].rows}
    benchmarks = [
        SchoolBenchmark(
            school_urn=school,
            phase=phase_of(years_on_roll[school]),
            absence_rate=_absence(published_schools[school]),
            national_absence_rate=national().absence_for(phase_of(years_on_roll[school])),
        )
        for school in sorted(published_schools)
    ]
    return BoroughView(
        as_of=today,
        counted_at=utcnow(),
        schools=sorted(schools) if schools is not None else None,
        suppressed=suppressed,
        counted_from_possible_sessions=MIN_POSSIBLE,
        year_to_date=year_view,
        half_term=publish("this half-term", borough_figures(half_term), suppressed),
        half_terms=spans,
        benchmarks=benchmarks,
        national=national(),
    )


def _absence(row: PublishedRow) -> float | str | None:
    rate = row.attendance_rate
    return rate if isinstance(rate, str) or rate is None else round(1 - rate, 4)
