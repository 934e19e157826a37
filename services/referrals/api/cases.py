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
from services.referrals.casework.catalogue import Stage
from services.referrals.casework.models import (
    OPEN_REFERRALS,
    OPEN_STATUSES,
    Alert,
    AlertPublic,
    Case,
    CaseOutcome,
    CasePublic,
    EntryKind,
    Proposal,
    ProposalPublic,
    Referral,
    ReferralPublic,
    TimelineEntry,
    TimelineEntryPublic,
)
from services.referrals.casework.proposals import current_proposals
from services.referrals.casework.referrals import refer
from services.referrals.pupils import CurrentFigures, PupilContextRow, PupilFigures, PupilIdentity
from services.referrals.staff import StaffMember
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


class PupilPublic(BaseModel):
    upn: str
    given_name: str
    family_name: str
    date_of_birth: dt.date


class CaseDetail(CasePublic):
    pupil: PupilPublic | None
    year_group: int | None
    characteristics: dict | None = Field(None, description="Only for the designated safeguarding lead and LA roles")
    current: CurrentFigures | None
    holding: list[str] = Field(description="Rules that still hold for the pupil")
    alerts: list[AlertPublic]
    timeline: list[TimelineEntryPublic]
    referrals: list[ReferralPublic]
    proposals: list[ProposalPublic]


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
    cases = session.exec(_caseload(scope, query)).all()
    items = _summaries(session, cases)
    audit(session, scope, "list_cases", pupil_ids=(case.pupil_id for case in cases), detail=f"{len(cases)} cases")
    session.commit()
    return Page(items=items, next=next_url(request, query, cases, lambda case: [case.id]))


def _summaries(session: Session, cases: list[Case]) -> list[CaseSummary]:
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


def _caseload(scope: Scope, query: CaseQuery):
    statement = select(Case).order_by(Case.id).limit(query.limit)
    if scope.schools is not None:
        statement = statement.where(Case.school_urn.in_(scope.schools))
    for column, value in ((Case.school_urn, query.school_urn), (Case.status, query.status), (Case.stage, query.stage)):
        if value is not None:
            statement = statement.where(column == value)
    if query.lead is not None:
        statement = statement.where(Case.lead_staff_id == (scope.staff_id if query.lead == "me" else int(query.lead)))
    if query.intervention:
        with_it = select(Referral.case_id).where(
            Referral.intervention == query.intervention, Referral.status.in_(OPEN_REFERRALS)
        )
        statement = statement.where(Case.id.in_(with_it))
    if query.rule:
        holding = select(Alert.case_id).where(Alert.rule == query.rule, Alert.status.in_(OPEN_STATUSES))
        statement = statement.where(Case.id.in_(holding))
    if query.year_group is not None:
        in_year = select(PupilContextRow.pupil_id).where(PupilContextRow.year_group == query.year_group)
        statement = statement.where(Case.pupil_id.in_(in_year))
    if query.opened_from:
        statement = statement.where(Case.opened_at >= dt.datetime.combine(query.opened_from, dt.time(), dt.UTC))
    if query.opened_to:
        end = dt.datetime.combine(query.opened_to + dt.timedelta(days=1), dt.time(), dt.UTC)
        statement = statement.where(Case.opened_at < end)
    if query.cursor:
        (after,) = decode_cursor(query.cursor, 1)
        statement = statement.where(Case.id > int(after))
    return statement


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


def case_detail(session: Session, scope: Scope, case: Case) -> CaseDetail:
    """Everything a case page shows the caller, filtered by what their role may see."""
    key = (case.school_urn, case.pupil_id)
    identity, context, figures = (session.get(model, key) for model in (PupilIdentity, PupilContextRow, PupilFigures))
    alerts = session.exec(select(Alert).where(Alert.case_id == case.id).order_by(Alert.raised_at)).all()
    entries = session.exec(
        select(TimelineEntry).where(TimelineEntry.case_id == case.id).order_by(TimelineEntry.id)
    ).all()
    names = dict(
        session.exec(
            select(StaffMember.id, StaffMember.name).where(StaffMember.id.in_({e.staff_id for e in entries}))
        ).all()
    )
    return CaseDetail(
        **CasePublic.model_validate(case, from_attributes=True).model_dump(),
        pupil=PupilPublic.model_validate(identity, from_attributes=True) if identity else None,
        year_group=context.year_group if context else None,
        characteristics=context.characteristics if context and scope.reads_sensitive else None,
        current=CurrentFigures.model_validate(figures, from_attributes=True) if figures else None,
        holding=casework.holding_rules(session, case),
        alerts=[AlertPublic.model_validate(alert, from_attributes=True) for alert in alerts],
        timeline=[
            TimelineEntryPublic.model_validate(entry, from_attributes=True).model_copy(
                update={"staff_name": names.get(entry.staff_id)}
            )
            for entry in entries
            if scope.reads_sensitive or not entry.sensitive
        ],
        referrals=[
            ReferralPublic.model_validate(r, from_attributes=True)
            for r in session.exec(select(Referral).where(Referral.case_id == case.id).order_by(Referral.id))
        ],
        proposals=[
            ProposalPublic.model_validate(p, from_attributes=True)
            for p in session.exec(
                select(Proposal)
                .where(Proposal.case_id == case.id, Proposal.status == "proposed")
                .order_by(Proposal.rank)
            )
        ],
    )


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
