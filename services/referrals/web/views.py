"""What each staff page shows, assembled from the service layer and referrals' own tables (fed by the
topics: never the risk engine's tables)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session, func, select

from services.referrals.auth import Scope
from services.referrals.casework.case_view import CaseDetail, case_detail
from services.referrals.casework.caseload import CaseFilters, CaseSummary, caseload, summaries
from services.referrals.casework.catalogue import catalogue
from services.referrals.casework.models import OPEN_STATUSES, Alert, Case, Proposal, Referral, ReferralStatus
from services.referrals.pupils import PupilContextRow, PupilFigures, PupilIdentity
from services.referrals.registers import register_of, registers_of
from services.referrals.web.register_view import (
    Rate,
    Week,
    absence_pattern,
    rate,
    weekly_chart,
    weekly_rates,
    weeks,
)
from shared.calendar import SchoolDays, academic_year_of
from shared.calendar_store import school_days
from shared.codes import current_table
from shared.database import rows_with_keys

TODAY_LIMIT = 200
RECENT_SCHOOL_DAYS = 20  # "the last four weeks"
PATTERN_SESSIONS = 20  # Today's "absent 9 of the last 20 sessions"


@dataclass(frozen=True)
class Person:
    name: str | None  # None where the role may not see it
    year_group: int | None


def people(session: Session, scope: Scope, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Person]:
    """Names (for roles that may see who the child is) and year groups, for many pupils at once, looked
    up by school and pupil (the tables' keys)."""
    wanted = sorted(keys)
    names = {}
    if scope.reads_cases:
        for row in rows_with_keys(session, (PupilIdentity.school_urn, PupilIdentity.pupil_id), wanted):
            names[(row.school_urn, row.pupil_id)] = f"{row.given_name} {row.family_name}"
    years = {
        (row.school_urn, row.pupil_id): row.year_group
        for row in rows_with_keys(session, (PupilContextRow.school_urn, PupilContextRow.pupil_id), wanted)
    }
    return {key: Person(names.get(key), years.get(key)) for key in keys}


@dataclass(frozen=True)
class TodayItem:
    alert: Alert
    person: Person
    risk_score: int
    proposals: list[Proposal]
    pattern: str | None  # the recent absences in words, where the register has them


@dataclass(frozen=True)
class TodayView:
    since: dt.date | None
    items: list[TodayItem]
    total: int = 0  # alerts since the last school day; the page shows the TODAY_LIMIT riskiest


def today(session: Session, scope: Scope) -> TodayView:
    """Alerts raised, escalated or de-escalated since the last school day, highest risk first, newest next."""
    shown = [Alert.status.in_(OPEN_STATUSES), Alert.case_id.is_not(None)]
    if scope.schools is not None:
        shown.append(Alert.school_urn.in_(scope.schools))
    latest = session.exec(select(func.max(Alert.as_of)).where(*shown)).one()
    if latest is None:
        return TodayView(None, [])
    # A school's own calendar says which day was the last school day; the borough view uses weekdays.
    days = school_days(session, min(scope.schools)) if scope.schools else SchoolDays()
    since = days.school_days_back(latest, 2)[0]
    everything = session.exec(select(Alert).where(*shown, Alert.as_of >= since)).all()
    alerts = sorted(everything, key=lambda a: (-a.figures.get("risk_score", 0), -a.updated_at.timestamp()))
    alerts = alerts[:TODAY_LIMIT]
    everyone = people(session, scope, {(a.school_urn, a.pupil_id) for a in alerts})
    proposals = _proposals_by_case(session, [a.case_id for a in alerts])
    patterns = _absence_patterns(session, alerts)
    return TodayView(
        since,
        [
            TodayItem(
                alert=a,
                person=everyone[(a.school_urn, a.pupil_id)],
                risk_score=int(a.figures.get("risk_score", 0)),
                proposals=proposals.get(a.case_id, []),
                pattern=patterns.get(a.alert_id),
            )
            for a in alerts
        ],
        total=len(everything),
    )


def _proposals_by_case(session: Session, case_ids: list[int]) -> dict[int, list[Proposal]]:
    proposals: dict[int, list[Proposal]] = {}
    for proposal in session.exec(
        select(Proposal).where(Proposal.case_id.in_(case_ids), Proposal.status == "proposed").order_by(Proposal.rank)
    ):
        proposals.setdefault(proposal.case_id, []).append(proposal)
    return proposals


def _absence_patterns(session: Session, alerts: list[Alert]) -> dict[str, str]:
    """Each alerted pupil's recent absences in words ('absent 9 of the last 20 sessions, mostly
    Mondays'), from referrals' own copy of their register up to the day of the alert's figures."""
    dated = [a for a in alerts if a.as_of is not None]
    if not dated:
        return {}
    calendars = {school: school_days(session, school) for school in {a.school_urn for a in dated}}
    first = min(calendars[a.school_urn].school_days_back(a.as_of, PATTERN_SESSIONS)[0] for a in dated)
    keys = sorted({(a.school_urn, a.pupil_id) for a in dated})
    registers = registers_of(session, keys, first, max(a.as_of for a in dated))
    table, patterns = current_table(), {}
    for a in dated:
        register = registers[(a.school_urn, a.pupil_id)]
        pattern = absence_pattern(register, calendars[a.school_urn], table, a.as_of, PATTERN_SESSIONS)
        if pattern:
            patterns[a.alert_id] = pattern
    return patterns


@dataclass(frozen=True)
class CaseloadView:
    rows: list[tuple[CaseSummary, Person]]
    counts: dict[str, int]  # open cases by stage
    waitlist: list[tuple[Referral, Person]]
    more: bool


def caseload_view(session: Session, scope: Scope, filters: CaseFilters, limit: int = 400) -> CaseloadView:
    cases = caseload(session, scope, filters, limit=limit + 1)
    rows = summaries(session, cases[:limit])
    counted = select(Case.stage, func.count()).where(Case.status == "open").group_by(Case.stage)
    waiting = select(Referral).where(Referral.status == ReferralStatus.WAITLISTED).order_by(Referral.referred_at)
    if scope.schools is not None:
        counted = counted.where(Case.school_urn.in_(scope.schools))
        waiting = waiting.where(Referral.school_urn.in_(scope.schools))
    waitlist = session.exec(waiting.limit(100)).all()
    everyone = people(
        session, scope, {(c.school_urn, c.pupil_id) for c in rows} | {(r.school_urn, r.pupil_id) for r in waitlist}
    )
    return CaseloadView(
        rows=[(row, everyone[(row.school_urn, row.pupil_id)]) for row in rows],
        counts={str(stage): count for stage, count in session.exec(counted)},
        waitlist=[(r, everyone[(r.school_urn, r.pupil_id)]) for r in waitlist],
        more=len(cases) > limit,
    )


@dataclass(frozen=True)
class Figures:
    year_to_date: float | None
    this_term: Rate
    recent: Rate
    year_group_average: float | None
    as_of: dt.date | None


@dataclass(frozen=True)
class PupilView:
    school_urn: str
    pupil_id: str
    person: Person
    case: CaseDetail | None
    figures: Figures
    weeks: list[Week]
    weekly: list[tuple[dt.date, float | None]]
    chart: str
    interventions: dict[str, str] = field(default_factory=dict)


def pupil(session: Session, scope: Scope, school_urn: str, pupil_id: str) -> PupilView | None:
    """The pupil page, or None when the pupil is unknown at the school or outside the caller's schools."""
    key = (school_urn, pupil_id)
    context = session.get(PupilContextRow, key)
    case = session.exec(
        select(Case).where(Case.school_urn == school_urn, Case.pupil_id == pupil_id).order_by(Case.id.desc())
    ).first()
    if not scope.reads_cases or not scope.allows(school_urn) or (context is None and case is None):
        return None
    figures_row, days, table = session.get(PupilFigures, key), school_days(session, school_urn), current_table()
    last = figures_row.last_date if figures_row and figures_row.last_date else None
    year = academic_year_of(last) if last else None
    sessions = register_of(session, school_urn, pupil_id, dt.date(year, 9, 1), last) if last else {}
    average = _year_group_average(session, school_urn, context.year_group) if context else None
    calendar_weeks = weeks(sessions, days, table, dt.date(year, 9, 1), last) if last else []
    weekly = weekly_rates(sessions, days, table, calendar_weeks)
    return PupilView(
        school_urn=school_urn,
        pupil_id=pupil_id,
        person=people(session, scope, {key})[key],
        case=case_detail(session, scope, case) if case else None,
        figures=Figures(
            year_to_date=figures_row.attendance_rate if figures_row else None,
            this_term=rate(sessions, days, table, days.term_start(days.term_of(last)), last)
            if last and days.term_of(last)
            else Rate(0, 0),
            recent=rate(sessions, days, table, days.school_days_back(last, RECENT_SCHOOL_DAYS)[0], last)
            if last
            else Rate(0, 0),
            year_group_average=average,
            as_of=last,
        ),
        weeks=calendar_weeks,
        weekly=weekly,
        chart=weekly_chart(weekly, average),
        interventions={code: i.name for code, i in catalogue().interventions.items()},
    )


def _year_group_average(session: Session, school_urn: str, year_group: int) -> float | None:
    """The school's average year-to-date attendance for the year group, from pupil.attendance."""
    return session.exec(
        select(func.avg(PupilFigures.attendance_rate))
        .join(
            PupilContextRow,
            (PupilContextRow.school_urn == PupilFigures.school_urn)
            & (PupilContextRow.pupil_id == PupilFigures.pupil_id),
        )
        .where(PupilFigures.school_urn == school_urn, PupilContextRow.year_group == year_group)
    ).one()
