"""The KPIs from the database: facts gathered per school, figured by kpis.compute."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from services.referrals.calendars import school_days_between
from services.referrals.casework.kpis import FlaggedCase, Kpis, ReferralFacts, compute
from services.referrals.casework.models import Case, Referral
from shared.calendar_store import school_days


def kpis(session: Session, schools: frozenset[str] | None, today: dt.date) -> Kpis:
    """KPIs over the given schools (None: the borough)."""
    cases_query, referrals_query = select(Case), select(Referral)
    if schools is not None:
        cases_query = cases_query.where(Case.school_urn.in_(schools))
        referrals_query = referrals_query.where(Referral.school_urn.in_(schools))
    cases = [
        FlaggedCase(case.id, case.school_urn, case.first_alert_on or case.opened_at.date(), case.outcome)
        for case in session.exec(cases_query)
    ]
    referrals = [
        ReferralFacts(
            case_id=r.case_id,
            intervention=r.intervention,
            status=r.status,
            referred_on=r.referred_at.date(),
            consented_on=r.consented_at and r.consented_at.date(),
            declined_on=r.declined_at and r.declined_at.date(),
            started_on=r.started_at and r.started_at.date(),
            ended_on=r.ended_at and r.ended_at.date(),
        )
        for r in session.exec(referrals_query)
    ]
    calendars = {school: school_days(session, school) for school in {case.school_urn for case in cases}}
    return compute(
        cases, referrals, lambda school, first, last: school_days_between(calendars[school], first, last), today
    )
