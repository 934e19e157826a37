"""What the local authority and school leaders oversee: the KPIs, the children-missing-education
queue, and (for LA roles, for subject-access and the DPO) the audit log of a pupil's record."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import String, cast, or_
from sqlmodel import Session, select

from services.referrals.api.alerts import Urn
from services.referrals.audit import AuditEntry, AuditEntryPublic, audit
from services.referrals.auth import Scope, ScopeDep
from services.referrals.casework.measures import kpis as measure
from services.referrals.casework.models import OPEN_REFERRALS, Referral, ReferralPublic
from services.referrals.pupils import PupilIdentity
from services.referrals.staff import Role
from shared.database import SessionDep
from shared.events import utcnow
from shared.problems import Forbidden

router = APIRouter(prefix="/v1", tags=["oversight"])
CME = "la_children_missing_education_officer"


class KpiQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    school_urn: Urn | None = None
    as_of: dt.date | None = Field(None, description="Measure as of this day (default: today)")


class AuditQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    school_urn: Urn
    pupil_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]


class CmeEntry(BaseModel):
    referral: ReferralPublic
    upn: str | None
    given_name: str | None
    family_name: str | None


class Me(BaseModel):
    staff_id: int
    name: str
    role: Role
    schools: list[str] | None = Field(description="null: the whole borough")
    provider_id: int | None


@router.get("/me", response_model=Me, summary="Who you are signed in as, and what you may see")
def me(scope: ScopeDep):
    schools = sorted(scope.schools) if scope.schools is not None else None
    return Me(staff_id=scope.staff_id, name=scope.name, role=scope.role, schools=schools, provider_id=scope.provider_id)


@router.get("/kpis", summary="Casework KPIs: the 75% target, the funnel, waiting, waitlists, outcomes")
def kpis(session: SessionDep, scope: ScopeDep, query: Annotated[KpiQuery, Query()]) -> dict:
    scope.require(scope.reads_cases, "read KPIs")
    if query.school_urn and not scope.allows(query.school_urn):
        raise Forbidden(f"school {query.school_urn} is outside your schools")
    schools = frozenset({query.school_urn}) if query.school_urn else scope.schools
    figures = measure(session, schools, query.as_of or utcnow().date())
    return {"school_urn": query.school_urn, **dataclasses.asdict(figures)}


@router.get(
    "/cme-queue",
    response_model=list[CmeEntry],
    summary="Children missing education: open referrals to the LA's officer",
)
def cme_queue(session: SessionDep, scope: ScopeDep):
    scope.require(scope.borough, "read the children-missing-education queue")
    queue = cme_entries(session, scope)
    session.commit()
    return queue


def cme_entries(session: Session, scope: Scope) -> list[CmeEntry]:
    """The open referrals to the CME officer, oldest first, with who the child is; the read is audited."""
    rows = session.exec(
        select(Referral)
        .where(Referral.intervention == CME, Referral.status.in_(OPEN_REFERRALS))
        .order_by(Referral.referred_at)
    ).all()
    queue = []
    for referral in rows:
        identity = session.get(PupilIdentity, (referral.school_urn, referral.pupil_id))
        queue.append(
            CmeEntry(
                referral=ReferralPublic.model_validate(referral, from_attributes=True),
                upn=identity.upn if identity else None,
                given_name=identity.given_name if identity else None,
                family_name=identity.family_name if identity else None,
            )
        )
    audit(session, scope, "read_cme_queue", pupil_ids=(r.pupil_id for r in rows), detail=f"{len(rows)} referrals")
    return queue


@router.get(
    "/audit", response_model=list[AuditEntryPublic], summary="Who read or changed a pupil's record, and when (LA roles)"
)
def audit_log(session: SessionDep, scope: ScopeDep, query: Annotated[AuditQuery, Query()]):
    scope.require(scope.role in (Role.LA_ATTENDANCE_OFFICER, Role.LA_CME_OFFICER), "read the audit log")
    # Pupil ids are hex, so matching the JSON list's text is exact (and works on SQLite and PostgreSQL).
    about = session.exec(
        select(AuditEntry)
        .where(
            or_(AuditEntry.pupil_id == query.pupil_id, cast(AuditEntry.pupil_ids, String).like(f'%"{query.pupil_id}"%'))
        )
        .order_by(AuditEntry.id)
    ).all()
    public = [AuditEntryPublic.model_validate(entry, from_attributes=True) for entry in about]
    audit(
        session,
        scope,
        "read_audit",
        school_urn=query.school_urn,
        pupil_id=query.pupil_id,
        detail=f"{len(about)} entries",
    )
    session.commit()
    return public
