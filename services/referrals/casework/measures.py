"""The KPIs from the database: facts gathered per school, figured by kpis.compute."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from services.referrals.calendars import school_days_between
from services.referrals.casework.kpis import FlaggedCase, Kpis, ReferralFacts, compute
from services.referrals.casework.models import Alert, Case, Referral
from shared.calendar_store import school_days
from shared.database import as_utc


def kpis(session: Session, schools: frozenset[str] | None, today: dt.date, rules: frozenset[str] | None = None) -> Kpis:
    """KPIs over the given schools (None: the borough); with `rules`, over the cases an alert of one of
    those rules opened or joined."""
    cases_query = select(Case.id, Case.school_urn, Case.first_alert_on, Case.opened_at, Case.outcome)
    steps = (Referral.referred_at, Referral.consented_at, Referral.declined_at, Referral.started_at, Referral.ended_at)
    referrals_query = select(Referral.case_id, Referral.intervention, Referral.status, *steps)
    if rules is not None:
        flagged = select(Alert.case_id).where(Alert.rule.in_(rules))
        cases_query = cases_query.where(Case.id.in_(flagged))
        referrals_query = referrals_query.where(Referral.case_id.in_(flagged))
    if schools is not None:
        cases_query = cases_query.where(Case.school_urn.in_(schools))
        referrals_query = referrals_query.where(Referral.school_urn.in_(schools))
    # Plain columns: the borough's KPIs read every case and referral.
    cases = [
        FlaggedCase(case_id, school, first_alert_on or as_utc(opened_at).date(), outcome)
        for case_id, school, first_alert_on, opened_at, outcome in session.exec(cases_query)
    ]
    referrals = [
        ReferralFacts(
            case_id=case_id,
            intervention=intervention,
            status=status,
            referred_on=_day(referred_at),
            consented_on=_day(consented_at),
            declined_on=_day(declined_at),
            started_on=_day(started_at),
            ended_on=_day(ended_at),
        )
        for case_id, intervention, status, referred_at, consented_at, declined_at, started_at, ended_at in session.exec(
            referrals_query
        )
    ]
    calendars = {school: school_days(session, school) for school in {case.school_urn for case in cases}}
    return compute(
        cases, referrals, lambda school, first, last: school_days_between(calendars[school], first, last), today
    )


def _day(moment: dt.datetime | None) -> dt.date | None:
    return as_utc(moment).date() if moment is not None else None
