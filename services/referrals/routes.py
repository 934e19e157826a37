"""Staff API. Every response is scoped to the caller's school and every read is audited."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlmodel import select

from services.referrals.auth import StaffDep, visible_schools
from services.referrals.models import Alert, AlertPublic, AuditEntry, Case, CasePublic, PupilIdentity
from services.referrals.schemas import CaseDetail
from shared.database import SessionDep

router = APIRouter(prefix="/v1")


@router.get("/alerts", response_model=list[AlertPublic])
def list_alerts(session: SessionDep, staff: StaffDep, status: str | None = None, rule: str | None = None):
    query = select(Alert).order_by(Alert.raised_at)
    school = visible_schools(staff)
    if school:
        query = query.where(Alert.school_urn == school)
    if status:
        query = query.where(Alert.status == status)
    if rule:
        query = query.where(Alert.rule == rule)
    alerts = session.exec(query).all()
    session.add(AuditEntry(staff_id=staff.id, action="list_alerts", detail=f"{len(alerts)} alerts"))
    session.commit()
    return alerts


@router.get("/cases", response_model=list[CasePublic])
def list_cases(session: SessionDep, staff: StaffDep, status: str | None = None):
    query = select(Case).order_by(Case.id)
    school = visible_schools(staff)
    if school:
        query = query.where(Case.school_urn == school)
    if status:
        query = query.where(Case.status == status)
    cases = session.exec(query).all()
    session.add(AuditEntry(staff_id=staff.id, action="list_cases", detail=f"{len(cases)} cases"))
    session.commit()
    return cases


@router.get("/cases/{case_id}", response_model=CaseDetail)
def read_case(case_id: int, session: SessionDep, staff: StaffDep):
    case = session.get(Case, case_id)
    school = visible_schools(staff)
    if case is None or (school and case.school_urn != school):
        # The same answer for "not yours" and "not there", so ids cannot be probed.
        raise HTTPException(404, f"no case {case_id} in your schools")
    identity = session.get(PupilIdentity, case.pupil_id)
    alerts = session.exec(select(Alert).where(Alert.case_id == case.id).order_by(Alert.raised_at)).all()
    detail = CaseDetail.build(case, identity, alerts)  # before the commit expires what was loaded
    session.add(AuditEntry(staff_id=staff.id, action="read_case", pupil_id=case.pupil_id, detail=f"case {case.id}"))
    session.commit()
    return detail
