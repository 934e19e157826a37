"""GET /v1/cases and /v1/cases/{id}: cases in the caller's scope. A case outside it is "not found",
the same answer as a case that does not exist, and the refusal is audited."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel
from sqlmodel import select

from services.referrals.api.alerts import Urn
from services.referrals.audit import audit
from services.referrals.auth import ScopeDep
from services.referrals.casework.models import Alert, AlertPublic, Case, CasePublic
from services.referrals.pupils import PupilIdentity
from shared.database import SessionDep
from shared.paging import ListQuery, Page, decode_cursor, next_url
from shared.problems import Forbidden, NotFound

router = APIRouter(prefix="/v1")
CaseId = Annotated[int, Path(ge=1, le=2**63 - 1, description="A case id")]


class CaseQuery(ListQuery):
    status: Literal["open", "closed"] | None = None
    school_urn: Urn | None = None
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None


class PupilPublic(BaseModel):
    upn: str
    given_name: str
    family_name: str
    date_of_birth: dt.date


class CaseDetail(CasePublic):
    pupil: PupilPublic | None
    alerts: list[AlertPublic]


@router.get("/cases", response_model=Page[CasePublic], summary="Cases in your schools, oldest first")
def list_cases(request: Request, session: SessionDep, scope: ScopeDep, query: Annotated[CaseQuery, Query()]):
    if query.school_urn and not scope.allows(query.school_urn):
        raise Forbidden(f"school {query.school_urn} is outside your schools")
    statement = select(Case).order_by(Case.id).limit(query.limit)
    if scope.schools is not None:
        statement = statement.where(Case.school_urn.in_(scope.schools))
    if query.school_urn:
        statement = statement.where(Case.school_urn == query.school_urn)
    if query.status:
        statement = statement.where(Case.status == query.status)
    if query.opened_from:
        statement = statement.where(Case.opened_at >= dt.datetime.combine(query.opened_from, dt.time()))
    if query.opened_to:
        statement = statement.where(
            Case.opened_at < dt.datetime.combine(query.opened_to + dt.timedelta(days=1), dt.time())
        )
    if query.cursor:
        (after,) = decode_cursor(query.cursor, 1)
        statement = statement.where(Case.id > int(after))
    cases = session.exec(statement).all()
    items = [CasePublic.model_validate(case, from_attributes=True) for case in cases]
    audit(session, scope, "list_cases", pupil_ids=(case.pupil_id for case in cases), detail=f"{len(cases)} cases")
    session.commit()
    return Page(items=items, next=next_url(request, query, cases, lambda case: [case.id]))


@router.get("/cases/{case_id}", response_model=CaseDetail, summary="A case: who the child is, and its alerts")
def read_case(case_id: CaseId, session: SessionDep, scope: ScopeDep):
    case = session.get(Case, case_id)
    if case is None or not scope.allows(case.school_urn):
        audit(session, scope, "read_case", outcome="refused", detail=f"case {case_id}")
        session.commit()
        raise NotFound(f"no case {case_id} in your schools")
    identity = session.get(PupilIdentity, (case.school_urn, case.pupil_id))
    alerts = session.exec(
        select(Alert).where(Alert.case_id == case.id, Alert.school_urn == case.school_urn).order_by(Alert.raised_at)
    ).all()
    detail = CaseDetail(  # built before the commit expires what was loaded
        **CasePublic.model_validate(case, from_attributes=True).model_dump(),
        pupil=PupilPublic.model_validate(identity, from_attributes=True) if identity else None,
        alerts=[AlertPublic.model_validate(alert, from_attributes=True) for alert in alerts],
    )
    audit(session, scope, "read_case", school_urn=case.school_urn, pupil_id=case.pupil_id, detail=f"case {case.id}")
    session.commit()
    return detail
