"""Providers' places this term, for the pupil's school and area."""

from __future__ import annotations

from collections import Counter

from sqlmodel import Session, func, select

from services.referrals.casework.models import HOLDS_A_PLACE, Provider, Referral
from services.referrals.casework.routing import Place


def serving(session: Session, school_urn: str, area_code: str | None) -> list[Provider]:
    """Active providers that serve this school: its own, its area's, or borough-wide ones."""
    providers = session.exec(select(Provider).where(Provider.active == True)).all()  # noqa: E712
    return [
        p
        for p in providers
        if p.borough_wide or school_urn in p.school_urns or (area_code is not None and area_code in p.area_codes)
    ]


def places_used(session: Session, provider_ids: list[int], term: str) -> Counter:
    if not provider_ids:
        return Counter()
    rows = session.exec(
        select(Referral.provider_id, func.count())
        .where(Referral.provider_id.in_(provider_ids), Referral.term == term, Referral.status.in_(HOLDS_A_PLACE))
        .group_by(Referral.provider_id)
    ).all()
    return Counter(dict(rows))


def places(session: Session, school_urn: str, area_code: str | None, term: str) -> list[Place]:
    providers = serving(session, school_urn, area_code)
    used = places_used(session, [p.id for p in providers], term)
    return [
        Place(
            provider_id=p.id,
            provider_name=p.name,
            kind=p.kind,
            intervention=code,
            places_left=p.capacity_per_term - used[p.id],
            own_school=p.kind == "school" and school_urn in p.school_urns,
        )
        for p in providers
        for code in p.interventions
    ]
