"""The intervention catalogue, and the providers who deliver it with their places (LA roles manage them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field, field_validator
from sqlmodel import select

from services.referrals.api.writes import IdempotencyKey, commit, idempotent
from services.referrals.audit import audit
from services.referrals.auth import ScopeDep
from services.referrals.casework.catalogue import Intervention, ProviderKind, catalogue
from services.referrals.casework.models import Provider, ProviderPublic
from shared.database import SessionDep
from shared.problems import NotFound
from shared.text import safe_text

router = APIRouter(prefix="/v1", tags=["providers"])
SchoolUrnList = list[Annotated[str, Field(pattern=r"^[0-9]{6}$")]]


def _known_interventions(codes: list[str]) -> list[str]:
    unknown = sorted(set(codes) - set(catalogue().interventions))
    if unknown:
        raise ValueError(f"not in the intervention catalogue: {', '.join(unknown)}")
    return codes


class ProviderCreate(BaseModel):
    model_config = {"extra": "forbid"}
    name: safe_text(200)
    kind: ProviderKind
    interventions: list[str] = Field(min_length=1)
    school_urns: SchoolUrnList = []
    area_codes: list[safe_text(20)] = []
    borough_wide: bool = False
    capacity_per_term: int = Field(ge=0, le=10_000)

    _interventions = field_validator("interventions")(_known_interventions)


class ProviderUpdate(BaseModel):
    model_config = {"extra": "forbid"}
    capacity_per_term: int | None = Field(None, ge=0, le=10_000)
    school_urns: SchoolUrnList | None = None
    active: bool | None = None


@router.get("/interventions", response_model=list[Intervention], summary="The intervention catalogue")
def interventions(scope: ScopeDep):
    return list(catalogue().interventions.values())


@router.get("/providers", response_model=list[ProviderPublic], summary="Providers and their places per term")
def providers(session: SessionDep, scope: ScopeDep):
    return session.exec(select(Provider).order_by(Provider.id)).all()


@router.post(
    "/providers", status_code=201, response_model=ProviderPublic, summary="Add a provider (LA roles; Idempotency-Key)"
)
def add_provider(body: ProviderCreate, session: SessionDep, scope: ScopeDep, idempotency_key: IdempotencyKey = None):
    scope.require(scope.borough, "manage providers")

    def work():
        provider = Provider(**body.model_dump())
        session.add(provider)
        audit(session, scope, "add_provider", detail=body.name)
        session.flush()
        return 201, ProviderPublic.model_validate(provider, from_attributes=True)

    return idempotent(session, scope, idempotency_key, ("provider", body), work)


@router.patch(
    "/providers/{provider_id}",
    response_model=ProviderPublic,
    summary="Change places, schools served, or retire (LA roles)",
)
def update_provider(
    provider_id: Annotated[int, Path(ge=1, le=2**63 - 1)], body: ProviderUpdate, session: SessionDep, scope: ScopeDep
):
    scope.require(scope.borough, "manage providers")
    provider = session.get(Provider, provider_id)
    if provider is None:
        raise NotFound(f"no provider {provider_id}")
    for name, value in body.model_dump(exclude_none=True).items():
        setattr(provider, name, value)
    session.add(provider)
    audit(session, scope, "update_provider", detail=f"provider {provider_id}")
    session.flush()
    public = ProviderPublic.model_validate(provider, from_attributes=True)
    commit(session)
    return public
