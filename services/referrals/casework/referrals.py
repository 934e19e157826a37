"""Referring a pupil to an intervention, and following it: offered (or waitlisted) → consented or
declined → started → ended with an outcome. Every step is on the case's timeline and referral.events."""

from __future__ import annotations

import datetime as dt
import enum
import logging

from sqlmodel import Session, select

from services.referrals.calendars import term_of
from services.referrals.casework.capacity import places
from services.referrals.casework.catalogue import catalogue
from services.referrals.casework.events import record_event
from services.referrals.casework.models import (
    OPEN_REFERRALS,
    Case,
    EntryKind,
    Judgement,
    Proposal,
    Provider,
    Referral,
    ReferralStatus,
    TimelineEntry,
)
from services.referrals.casework.routing import Place
from services.referrals.pupils import PupilContextRow, PupilFigures
from shared.calendar_store import school_days
from shared.database import as_utc
from shared.events import ReferralEventKind, utcnow
from shared.problems import Conflict, DomainError

log = logging.getLogger(__name__)


class ReferralAction(enum.StrEnum):
    OFFER = "offer"  # a waitlisted referral gets its place
    CONSENT = "consent"
    DECLINE = "decline"
    START = "start"
    END = "end"
    WITHDRAW = "withdraw"


# action -> (the statuses it may be taken from, the status it leads to, its event)
STEPS = {
    ReferralAction.OFFER: ({ReferralStatus.WAITLISTED}, ReferralStatus.OFFERED, ReferralEventKind.INTERVENTION_OFFERED),
    ReferralAction.CONSENT: (
        {ReferralStatus.OFFERED},
        ReferralStatus.CONSENTED,
        ReferralEventKind.INTERVENTION_CONSENTED,
    ),
    ReferralAction.DECLINE: (
        {ReferralStatus.OFFERED, ReferralStatus.WAITLISTED, ReferralStatus.CONSENTED},
        ReferralStatus.DECLINED,
        ReferralEventKind.INTERVENTION_DECLINED,
    ),
    ReferralAction.START: ({ReferralStatus.CONSENTED}, ReferralStatus.STARTED, ReferralEventKind.INTERVENTION_STARTED),
    ReferralAction.END: ({ReferralStatus.STARTED}, ReferralStatus.ENDED, ReferralEventKind.INTERVENTION_ENDED),
    ReferralAction.WITHDRAW: (set(OPEN_REFERRALS), ReferralStatus.WITHDRAWN, ReferralEventKind.INTERVENTION_WITHDRAWN),
}


class Invalid(DomainError):
    status = 422


def moment(on: dt.date | None) -> dt.datetime:
    """When a step happened: now, or the day staff say it happened (recorded afterwards)."""
    return utcnow() if on is None else dt.datetime.combine(on, dt.time(12), dt.UTC)


def refer(
    session: Session,
    case: Case,
    *,
    intervention: str,
    provider_id: int | None,
    reason: str,
    staff_id: int | None,
    on: dt.date | None = None,
) -> Referral:
    """Offer the intervention, or put the pupil on its waitlist when the provider is full."""
    if case.status != "open":
        raise Conflict(f"case {case.id} is closed")
    if intervention not in catalogue().interventions:
        raise Invalid(f"{intervention!r} is not in the intervention catalogue")
    if _open_referral(session, case.id, intervention):
        raise Conflict(f"case {case.id} already has an open referral to {intervention}")
    referred_at = moment(on)
    if case.first_alert_on and referred_at.date() < case.first_alert_on:
        raise Invalid(f"{referred_at.date()} is before the case's first alert ({case.first_alert_on})")
    term = term_of(school_days(session, case.school_urn), referred_at.date())
    place = _place(session, case, intervention, provider_id, term)
    waitlisted = place is None or place.places_left <= 0
    referral = Referral(
        case_id=case.id,
        school_urn=case.school_urn,
        pupil_id=case.pupil_id,
        intervention=intervention,
        provider_id=place.provider_id if place else provider_id,
        term=term,
        status=ReferralStatus.WAITLISTED if waitlisted else ReferralStatus.OFFERED,
        reason=reason,
        referred_at=referred_at,
    )
    session.add(referral)
    session.flush()
    kind = ReferralEventKind.INTERVENTION_WAITLISTED if waitlisted else ReferralEventKind.INTERVENTION_OFFERED
    name = catalogue().get(intervention).name
    _on_timeline(
        session, referral, staff_id, f"{name}: {'waitlisted, no place this term' if waitlisted else 'offered'}"
    )
    record_event(session, case, kind, once_per=f"{referral.id}", referral_id=referral.id, intervention=intervention,
                 provider_id=referral.provider_id)  # fmt: skip
    for proposal in session.exec(
        select(Proposal).where(
            Proposal.case_id == case.id, Proposal.intervention == intervention, Proposal.status == "proposed"
        )
    ):
        proposal.status = "accepted"
        session.add(proposal)
    return referral


def act(
    session: Session,
    referral: Referral,
    action: ReferralAction,
    *,
    staff_id: int | None,
    declined_reason: str | None = None,
    judgement: Judgement | None = None,
    note: str | None = None,
    on: dt.date | None = None,
) -> Referral:
    allowed_from, to, kind = STEPS[action]
    if referral.status not in allowed_from:
        raise Conflict(f"referral {referral.id} is {referral.status}; it cannot be taken to {to} ({action})")
    if action is ReferralAction.DECLINE and not declined_reason:
        raise Invalid("say why the family declined (declined_reason)")
    if action is ReferralAction.END and judgement is None:
        raise Invalid("give your judgement of the outcome (judgement: improved, no_change or worse)")
    if action is ReferralAction.OFFER and _places_left(session, referral) <= 0:
        raise Conflict(f"no place with provider {referral.provider_id} this term yet")
    now, figures = moment(on), session.get(PupilFigures, (referral.school_urn, referral.pupil_id))
    if now.date() < as_utc(referral.referred_at).date():
        raise Invalid(f"{on} is before the referral was made ({as_utc(referral.referred_at).date()})")
    referral.status = to
    match action:
        case ReferralAction.CONSENT:
            referral.consented_at = now
        case ReferralAction.DECLINE:
            referral.declined_at, referral.declined_reason = now, declined_reason
        case ReferralAction.START:
            referral.started_at = now
            referral.attendance_before = figures.attendance_rate if figures else None
        case ReferralAction.END:
            referral.ended_at, referral.judgement, referral.outcome_note = now, judgement, note
            referral.attendance_after = figures.attendance_rate if figures else None
    session.add(referral)
    name = catalogue().get(referral.intervention).name
    detail = {ReferralAction.DECLINE: f" ({declined_reason})", ReferralAction.END: f" ({judgement})"}.get(action, "")
    _on_timeline(session, referral, staff_id, f"{name}: {to}{detail}")
    case = session.get(Case, referral.case_id)
    record_event(
        session,
        case,
        kind,
        once_per=f"{referral.id}:{to}",
        referral_id=referral.id,
        intervention=referral.intervention,
        provider_id=referral.provider_id,
        declined_reason=referral.declined_reason if action is ReferralAction.DECLINE else None,
        judgement=str(judgement) if judgement else None,
        attendance_before=referral.attendance_before,
        attendance_after=referral.attendance_after,
    )
    return referral


def open_interventions(session: Session, case_id: int) -> set[str]:
    return set(
        session.exec(
            select(Referral.intervention).where(Referral.case_id == case_id, Referral.status.in_(OPEN_REFERRALS))
        ).all()
    )


def _open_referral(session: Session, case_id: int, intervention: str) -> bool:
    return intervention in open_interventions(session, case_id)


def _place(session: Session, case: Case, intervention: str, provider_id: int | None, term: str) -> Place | None:
    context = session.get(PupilContextRow, (case.school_urn, case.pupil_id))
    options = [
        place
        for place in places(session, case.school_urn, context.area_code if context else None, term)
        if place.intervention == intervention
    ]
    if provider_id is not None:
        options = [place for place in options if place.provider_id == provider_id]
        if not options:
            provider = session.get(Provider, provider_id)
            what = "does not exist" if provider is None else "does not deliver it to this school"
            raise Invalid(f"provider {provider_id} {what}: choose one that serves the school")
    return max(options, key=lambda p: (p.places_left > 0, p.own_school, p.places_left), default=None)


def _places_left(session: Session, referral: Referral) -> int:
    case = session.get(Case, referral.case_id)
    place = _place(session, case, referral.intervention, referral.provider_id, referral.term)
    return place.places_left if place else 0


def _on_timeline(session: Session, referral: Referral, staff_id: int | None, text: str) -> None:
    session.add(
        TimelineEntry(
            case_id=referral.case_id, staff_id=staff_id, kind=EntryKind.REFERRAL, text=text, referral_id=referral.id
        )
    )
