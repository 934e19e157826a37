"""The borough's seed KPIs, live: flagged pupils supported within 10 school days (3.3, target 75%),
the same for pupils the decline signals flagged, and enrichment participation (1.5, 3.9)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from services.referrals.casework.kpis import Kpis
from services.referrals.casework.measures import kpis
from services.referrals.insight import readings
from services.referrals.insight.evaluation import participants
from services.referrals.insight.participation import (
    AttendanceComparison,
    ParticipationRate,
    compare_attendance,
    participation,
)
from services.referrals.insight.recent import Recent

DECLINE_RULES = frozenset({"attendance_decline", "strong_attendance_decline"})


@dataclass(frozen=True)
class SeedKpis:
    as_of: dt.date
    supported_in_time: Kpis  # 3.3, every flagged pupil
    decline_supported_in_time: Kpis  # 3.3 for the pupils the decline signals flagged
    participation: list[ParticipationRate]  # 1.5 and 3.9
    attendance_of_participants: AttendanceComparison  # 3.9, descriptive


def recent_seed_kpis(recent: Recent, session: Session, schools: frozenset[str] | None, today: dt.date) -> SeedKpis:
    """The KPIs, counted again only when the last ones for the same question are not recent."""
    return recent.get(("kpis", schools, today), lambda: seed_kpis(session, schools, today))


def seed_kpis(session: Session, schools: frozenset[str] | None, today: dt.date) -> SeedKpis:
    pupils = readings.year_to_date_pupils(session, schools, today)
    came = set(participants(session, schools, readings.academic_year_start(today), today))
    return SeedKpis(
        as_of=today,
        supported_in_time=kpis(session, schools, today),
        decline_supported_in_time=kpis(session, schools, today, rules=DECLINE_RULES),
        participation=participation(pupils, came),
        attendance_of_participants=compare_attendance(pupils, came),
    )
