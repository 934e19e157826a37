"""The caseload: cases in a member of staff's schools, filtered, each with its latest alert and open
support. The JSON API and the staff pages both list cases through here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import tuple_
from sqlmodel import Session, select

from services.referrals.auth import Scope
from services.referrals.casework.catalogue import Stage
from services.referrals.casework.models import OPEN_REFERRALS, OPEN_STATUSES, Alert, Case, CasePublic, Referral
from services.referrals.pupils import PupilContextRow


@dataclass(frozen=True)
class CaseFilters:
    status: str | None = None
    school_urn: str | None = None
    stage: Stage | None = None
    intervention: str | None = None  # has it open
    rule: str | None = None  # has an open alert for it
    year_group: int | None = None
    lead: str | None = None  # a staff id, or "me"
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None


class LatestAlert(BaseModel):
    rule: str
    band: str | None
    status: str
    raised_at: dt.datetime


class OpenIntervention(BaseModel):
    referral_id: int
    intervention: str
    status: str


class CaseSummary(CasePublic):
    """A caseload row: the case, its latest alert and its open interventions."""

    latest_alert: LatestAlert | None = None
    interventions: list[OpenIntervention] = []


def caseload(
    session: Session, scope: Scope, filters: CaseFilters, *, limit: int, after: int | None = None
) -> list[Case]:
    return list(session.exec(_statement(scope, filters, limit, after)).all())


def summaries(session: Session, cases: list[Case]) -> list[CaseSummary]:
    """Each case with its latest alert and open interventions: three queries for the whole page, the
    last two reading only the columns shown (a caseload is hundreds of rows)."""
    ids = [case.id for case in cases]
    latest: dict[int, LatestAlert] = {}
    for case_id, rule, band, status, raised_at in session.exec(
        select(Alert.case_id, Alert.rule, Alert.band, Alert.status, Alert.raised_at)
        .where(Alert.case_id.in_(ids))
        .order_by(Alert.updated_at)
    ):
        latest[case_id] = LatestAlert(rule=rule, band=band, status=status, raised_at=raised_at)
    open_ones: dict[int, list[OpenIntervention]] = {}
    for case_id, referral_id, intervention, status in session.exec(
        select(Referral.case_id, Referral.id, Referral.intervention, Referral.status)
        .where(Referral.case_id.in_(ids), Referral.status.in_(OPEN_REFERRALS))
        .order_by(Referral.id)
    ):
        open_ones.setdefault(case_id, []).append(
            OpenIntervention(referral_id=referral_id, intervention=intervention, status=status)
        )
    return [
        CaseSummary.model_construct(
            **case.model_dump(), latest_alert=latest.get(case.id), interventions=open_ones.get(case.id, [])
        )  # built from validated rows and models: nothing to check again
        for case in cases
    ]


def _statement(scope: Scope, filters: CaseFilters, limit: int, after: int | None):
    statement = select(Case).order_by(Case.id).limit(limit)
    if scope.schools is not None:
        statement = statement.where(Case.school_urn.in_(scope.schools))
    for column, value in (
        (Case.school_urn, filters.school_urn),
        (Case.status, filters.status),
        (Case.stage, filters.stage),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if filters.lead is not None:
        statement = statement.where(
            Case.lead_staff_id == (scope.staff_id if filters.lead == "me" else int(filters.lead))
        )
    if filters.intervention:
        with_it = select(Referral.case_id).where(
            Referral.intervention == filters.intervention, Referral.status.in_(OPEN_REFERRALS)
        )
        statement = statement.where(Case.id.in_(with_it))
    if filters.rule:
        holding = select(Alert.case_id).where(Alert.rule == filters.rule, Alert.status.in_(OPEN_STATUSES))
        statement = statement.where(Case.id.in_(holding))
    if filters.year_group is not None:
        in_year = select(PupilContextRow.school_urn, PupilContextRow.pupil_id).where(
            PupilContextRow.year_group == filters.year_group
        )
        statement = statement.where(tuple_(Case.school_urn, Case.pupil_id).in_(in_year))
    if filters.opened_from:
        statement = statement.where(Case.opened_at >= dt.datetime.combine(filters.opened_from, dt.time(), dt.UTC))
    if filters.opened_to:
        end = dt.datetime.combine(filters.opened_to + dt.timedelta(days=1), dt.time(), dt.UTC)
        statement = statement.where(Case.opened_at < end)
    if after is not None:
        statement = statement.where(Case.id > after)
    return statement
