"""Cases: the caseload, a case's page, and working it. A case outside the caller's schools is "not
found" (the same answer as one that does not exist, so ids cannot be probed) and the refusal is
audited; every read and write of a case is audited."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from services.referrals.api.alerts import Urn
from services.referrals.api.writes import IdempotencyKey, IfMatch, OnDay, check_if_match, commit, etag, idempotent
from services.referrals.audit import audit
from services.referrals.auth import Scope, ScopeDep
from services.referrals.casework import cases as casework
from services.referrals.casework.case_view import CaseDetail, case_detail
from services.referrals.casework.caseload import CaseFilters, CaseSummary, caseload, summaries
from services.referrals.casework.catalogue import Stage
from services.referrals.casework.models import (
    OPEN_STATUSES,
    Alert,
    Case,
    CaseOutcome,
    CasePublic,
    EntryKind,
    Proposal,
    ProposalPublic,
    ReferralPublic,
    TimelineEntryPublic,
)
from services.referrals.casework.proposals import current_proposals
from services.referrals.casework.referrals import refer
from shared.database import SessionDep
from shared.paging import ListQuery, Page, decode_cursor, next_url
from shared.problems import Forbidden, NotFound
from shared.text import safe_text

router = APIRouter(prefix="/v1", tags=["cases"])
CaseId = Annotated[int, Path(ge=1, le=2**63 - 1, description="A case id")]


class CaseQuery(ListQuery):
    status: Literal["open", "closed"] | None = None
    school_urn: Urn | None = None
    stage: Stage | None = None
    intervention: Annotated[str | None, Field(pattern=r"^[a-z0-9_]{1,64}$", description="Has it open")] = None
    rule: Annotated[str | None, Field(pattern=r"^[a-z0-9_]{1,64}$", description="Has an open alert for it")] = None
    year_group: Annotated[int | None, Field(ge=-2, le=14)] = None
    lead: Annotated[str | None, Field(pattern=r"^(me|[0-9]{1,18})$", description="A staff id, or me")] = None
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None


class CaseUpdate(BaseModel):
    """Only what is sent changes."""

    model_config = {"extra": "forbid"}
    stage: Stage | None = None
    lead_staff_id: int | None = Field(None, ge=1)
    plan_summary: safe_text(4000, min_length=0) | None = None


class NoteCreate(BaseModel):
    model_config = {"extra": "forbid"}
    text: safe_text(4000)
    sensitive: bool = Field(False, description="Only the designated safeguarding lead and LA roles will see it")


class CaseClose(BaseModel):
    model_config = {"extra": "forbid"}
    outcome: CaseOutcome
    override_reason: safe_text(1000) | None = Field(None, description="Needed when a rule still holds")


class ReferralCreate(BaseModel):
    model_config = {"extra": "forbid"}
    intervention: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,64}$")]
    provider_id: int | None = Field(None, ge=1, description="Who delivers it; the best with a place when unset")
    reason: safe_text(1000, min_length=0) = ""
    on: OnDay = None


class Suggestion(BaseModel):
    intervention: str
    provider_id: int | None
    reason: str


class ReferralCreated(ReferralPublic):
    suggestion: Suggestion | None = Field(None, description="When waitlisted: the next-best support with a place")


def load_case(session: Session, scope: Scope, case_id: int, action: str) -> Case:
    case = session.get(Case, case_id)
    if case is None or not scope.reads_cases or not scope.allows(case.school_urn):
        # Whose record was asked for is kept for the DPO; the caller hears only "not found".
        audit(session, scope, action, outcome="refused", school_urn=case and case.school_urn,
              pupil_id=case and case.pupil_id, detail=f"case {case_id}")  # fmt: skip
        session.commit()
        raise NotFound(f"no case {case_id} in your schools")
    return case


@router.get("/cases", response_model=Page[CaseSummary], summary="The caseload: cases in your schools, oldest first")
def list_cases(request: Request, session: SessionDep, scope: ScopeDep, query: Annotated[CaseQuery, Query()]):
    scope.require(scope.reads_cases, "read cases")
    if query.school_urn and not scope.allows(query.school_urn):
        raise Forbidden(f"school {query.school_urn} is outside your schools")
    filters = CaseFilters(**query.model_dump(exclude={"limit", "cursor"}))
    after = int(decode_cursor(query.cursor, 1)[0]) if query.cursor else None
    cases = caseload(session, scope, filters, limit=query.limit, after=after)
    items = summaries(session, cases)
    audit(session, scope, "list_cases", pupil_ids=(case.pupil_id for case in cases), detail=f"{len(cases)} cases")
    session.commit()
    return Page(items=items, next=next_url(request, query, cases, lambda case: [case.id]))


@router.get(
    "/cases/{case_id}",
    response_model=CaseDetail,
    summary="A case: the child, their figures, alerts, timeline and support",
)
def read_case(case_id: CaseId, session: SessionDep, scope: ScopeDep, response: Response):
    case = load_case(session, scope, case_id, "read_case")
    detail = case_detail(session, scope, case)
    audit(session, scope, "read_case", school_urn=case.school_urn, pupil_id=case.pupil_id, detail=f"case {case.id}")
    session.commit()
    response.headers["ETag"] = etag("case", detail.id, detail.version)
    return detail


@router.patch(
    "/cases/{case_id}", response_model=CasePublic, summary="Change the lead, the stage or the plan (If-Match)"
)
def update_case(
    case_id: CaseId,
    update: CaseUpdate,
    session: SessionDep,
    scope: ScopeDep,
    response: Response,
    if_match: IfMatch = None,
):
    scope.require(scope.writes_cases, "change cases")
    case = load_case(session, scope, case_id, "update_case")
    check_if_match(if_match, etag("case", case.id, case.version))
    if update.lead_staff_id is not None:
        casework.assign_lead(session, scope, case, update.lead_staff_id)
    if update.stage is not None:
        casework.change_stage(session, scope, case, update.stage)
    if update.plan_summary is not None:
        casework.set_plan(session, scope, case, update.plan_summary)
    session.add(case)
    audit(session, scope, "update_case", school_urn=case.school_urn, pupil_id=case.pupil_id,
          detail=",".join(update.model_dump(exclude_none=True)))  # fmt: skip
    session.flush()
    public = CasePublic.model_validate(case, from_attributes=True)
    commit(session)
    response.headers["ETag"] = etag("case", public.id, public.version)
    return public


@router.post(
    "/cases/{case_id}/notes",
    status_code=201,
    response_model=TimelineEntryPublic,
    summary="Add a note (Idempotency-Key)",
)
def add_note(
    case_id: CaseId, body: NoteCreate, session: SessionDep, scope: ScopeDep, idempotency_key: IdempotencyKey = None
):
    scope.require(scope.writes_cases, "write notes")
    case = load_case(session, scope, case_id, "add_note")

    def work():
        entry = casework.note(
            session, case, EntryKind.NOTE, body.text, staff_id=scope.staff_id, sensitive=body.sensitive
        )
        audit(session, scope, "add_note", school_urn=case.school_urn, pupil_id=case.pupil_id, detail=f"case {case.id}")
        session.flush()
        return 201, TimelineEntryPublic.model_validate(entry, from_attributes=True).model_copy(
            update={"staff_name": scope.name}
        )

    return idempotent(session, scope, idempotency_key, ("note", case_id, body), work)


@router.post("/cases/{case_id}/close", response_model=CasePublic, summary="Close the case with an outcome (If-Match)")
def close_case(case_id: CaseId, body: CaseClose, session: SessionDep, scope: ScopeDep, if_match: IfMatch = None):
    scope.require(scope.writes_cases, "close cases")
    case = load_case(session, scope, case_id, "close_case")
    check_if_match(if_match, etag("case", case.id, case.version))
    casework.close(session, case, body.outcome, staff_id=scope.staff_id, override_reason=body.override_reason)
    session.add(case)
    audit(session, scope, "close_case", school_urn=case.school_urn, pupil_id=case.pupil_id, detail=str(body.outcome))
    session.flush()
    public = CasePublic.model_validate(case, from_attributes=True)
    commit(session)
    return public


@router.get(
    "/cases/{case_id}/proposals", response_model=list[ProposalPublic], summary="The support proposed now, with reasons"
)
def proposals(case_id: CaseId, session: SessionDep, scope: ScopeDep):
    case = load_case(session, scope, case_id, "read_proposals")
    stored = session.exec(
        select(Proposal).where(Proposal.case_id == case.id, Proposal.status == "proposed").order_by(Proposal.rank)
    ).all()
    audit(session, scope, "read_proposals", school_urn=case.school_urn, pupil_id=case.pupil_id)
    session.commit()
    return stored


@router.post(
    "/cases/{case_id}/referrals",
    status_code=201,
    response_model=ReferralCreated,
    summary="Refer to an intervention (Idempotency-Key)",
)
def create_referral(
    case_id: CaseId, body: ReferralCreate, session: SessionDep, scope: ScopeDep, idempotency_key: IdempotencyKey = None
):
    scope.require(scope.writes_cases, "refer pupils")
    case = load_case(session, scope, case_id, "create_referral")

    def work():
        referral = refer(session, case, intervention=body.intervention, provider_id=body.provider_id,
                         reason=body.reason, staff_id=scope.staff_id, on=body.on)  # fmt: skip
        audit(
            session,
            scope,
            "create_referral",
            school_urn=case.school_urn,
            pupil_id=case.pupil_id,
            detail=body.intervention,
        )
        session.flush()
        created = ReferralCreated.model_validate(referral, from_attributes=True)
        if referral.status == "waitlisted":
            created.suggestion = _next_best(session, case)
        return 201, created

    return idempotent(session, scope, idempotency_key, ("referral", case_id, body), work)


def _next_best(session: Session, case: Case) -> Suggestion | None:
    alert = session.exec(
        select(Alert).where(Alert.case_id == case.id, Alert.status.in_(OPEN_STATUSES)).order_by(Alert.raised_at.desc())
    ).first()
    if alert is None:
        return None
    best = next((p for p in current_proposals(session, case, alert.rule, alert.band) if not p.waitlist), None)
    if best is None:
        return None
    return Suggestion(intervention=best.intervention, provider_id=best.provider_id, reason=best.reason)
