"""What the LA's pages show, gathered for their templates: the borough today with its trend, KPIs and
benchmarks; the impact evaluation; the children-missing-education queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from services.referrals.insight.borough import BoroughView, recent_borough_view
from services.referrals.insight.recent import Recent
from services.referrals.insight.seed_kpis import SeedKpis, recent_seed_kpis
from services.referrals.insight.trends import Trend, trend
from services.referrals.web.register_view import weekly_chart

DIMENSION_TITLES = {
    "school": "By school",
    "area": "By area",
    "year_group": "By year group",
    "group": "By characteristic group",
}


@dataclass(frozen=True)
class BoroughPage:
    view: BoroughView
    trend: Trend
    chart: str
    kpis: SeedKpis


def borough_page(
    recent: Recent, session: Session, schools: frozenset[str] | None, today: dt.date, suppressed: bool
) -> BoroughPage:
    """The borough page's figures; `recent` reuses a view counted a moment ago (a report's is Recent(0))."""
    weekly = trend(session, schools, today)
    chart = weekly_chart(
        [(point.week_start, point.this_year) for point in weekly.points],
        weekly.national_attendance,
        previous=[point.last_year for point in weekly.points],
    )
    view = recent_borough_view(recent, session, schools, today, suppressed)
    return BoroughPage(view, weekly, chart, recent_seed_kpis(recent, session, schools, today))
