"""Referrals: moving one through its funnel (school and LA roles; provider staff for their own
referrals: starting, ending, recording a decline), and a provider's own list, which shows only what
it needs: first name, year group, school and the referral."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import select

from services.referrals.api.writes import IfMatch, OnDay, check_if_match, commit, etag
from services.referrals.audit import audit
from services.referrals.auth import Scope, ScopeDep
from services.referrals.casework.models import Judgement, Referral, ReferralPublic, ReferralStatus
from services.referrals.casework.referrals import ReferralAction, act
from services.referrals.pupils import PupilContextRow, PupilIdentity
from services.referrals.staff import Role
from shared.database import SessionDep
from shared.paging import ListQuery, Page, decode_cursor, next_url
from shared.problems import NotFound
from shared.text import safe_text

router = APIRouter(prefix="/v1", tags=["referrals"])
ReferralId = Annotated[int, Path(ge=1, le=2**63 - 1)]
PROVIDER_ACTIONS = frozenset({ReferralAction.START, ReferralAction.END, ReferralAction.DECLINE})


class ReferralStep(BaseModel):
    model_config = {"extra": "forbid"}
    action: ReferralAction
    declined_reason: safe_text(1000) | None = Field(None, description="Needed to decline")
    judgement: Judgement | None = Field(None, description="Needed to end")
    note: safe_text(2000) | None = None
    on: OnDay = None


class ProviderReferral(BaseModel):
    """What a provider sees of a pupil referred to it."""

    referral: ReferralPublic
    given_name: str | None
    year_group: int | None
    school_urn: str


class ProviderQuery(ListQuery):
    status: ReferralStatus | None = None


def _load(session, scope: Scope, referral_id: int, action: ReferralAction | None) -> Referral:
    """The referral, if the caller may read it (`action` None) or take `action` on it."""
    referral = session.get(Referral, referral_id)
    own_provider = (
        referral is not None and scope.role is Role.PROVIDER_STAFF and referral.provider_id == scope.provider_id
    )
    allowed = referral is not None and (
        (scope.writes_cases and scope.allows(referral.school_urn))
        or (own_provider and (action is None or action in PROVIDER_ACTIONS))
    )
    if not allowed:
        audit(session, scope, "read_referral" if action is None else "update_referral", outcome="refused",
              detail=f"referral {referral_id}")  # fmt: skip
        session.commit()
        raise NotFound(f"no referral {referral_id} you may {'read' if action is None else 'change'}")
    return referral


@router.get("/referrals/{referral_id}", response_model=ReferralPublic, summary="A referral, with its ETag")
def read_referral(referral_id: ReferralId, session: SessionDep, scope: ScopeDep, response: Response):
    referral = _load(session, scope, referral_id, None)
    public = ReferralPublic.model_validate(referral, from_attributes=True)
    audit(session, scope, "read_referral", school_urn=referral.school_urn, pupil_id=referral.pupil_id)
    session.commit()
    response.headers["ETag"] = etag("referral", public.id, public.version)
    return public


@router.patch(
    "/referrals/{referral_id}",
    response_model=ReferralPublic,
    summary="Move a referral on: consent, decline, start, end (If-Match)",
)
def update_referral(
    referral_id: ReferralId,
    step: ReferralStep,
    session: SessionDep,
    scope: ScopeDep,
    response: Response,
    if_match: IfMatch = None,
):
    referral = _load(session, scope, referral_id, step.action)
    check_if_match(if_match, etag("referral", referral.id, referral.version))
    act(session, referral, step.action, staff_id=scope.staff_id, declined_reason=step.declined_reason,
        judgement=step.judgement, note=step.note, on=step.on)  # fmt: skip
    audit(
        session,
        scope,
        "update_referral",
        school_urn=referral.school_urn,
        pupil_id=referral.pupil_id,
        detail=str(step.action),
    )
    session.flush()
    public = ReferralPublic.model_validate(referral, from_attributes=True)
    commit(session)
    response.headers["ETag"] = etag("referral", public.id, public.version)
    return public


@router.get("/provider/referrals", response_model=Page[ProviderReferral], summary="Referrals to your provider")
def provider_referrals(
    request: Request, session: SessionDep, scope: ScopeDep, query: Annotated[ProviderQuery, Query()]
):
    scope.require(scope.role is Role.PROVIDER_STAFF, "list a provider's referrals")
    statement = (
        select(Referral).where(Referral.provider_id == scope.provider_id).order_by(Referral.id).limit(query.limit)
    )
    if query.status:
        statement = statement.where(Referral.status == query.status)
    if query.cursor:
        (after,) = decode_cursor(query.cursor, 1)
        statement = statement.where(Referral.id > int(after))
    rows = session.exec(statement).all()
    items = []
    for referral in rows:
        key = (referral.school_urn, referral.pupil_id)
        identity, context = session.get(PupilIdentity, key), session.get(PupilContextRow, key)
        items.append(
            ProviderReferral(
                referral=ReferralPublic.model_validate(referral, from_attributes=True),
                given_name=identity.given_name if identity else None,
                year_group=context.year_group if context else None,
                school_urn=referral.school_urn,
            )
        )
    audit(
        session, scope, "list_provider_referrals", pupil_ids=(r.pupil_id for r in rows), detail=f"{len(rows)} referrals"
    )
    session.commit()
    return Page(items=items, next=next_url(request, query, rows, lambda r: [r.id]))
