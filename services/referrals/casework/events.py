"""Casework events on referral.events, through the outbox: written in the same transaction as the
change they describe, published after it commits."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from services.referrals.casework.models import Case
from shared import topics
from shared.events import ReferralEvent, ReferralEventKind
from shared.outbox import add_to_outbox


def record_event(session: Session, case: Case, kind: ReferralEventKind, *, once_per: str, **fields: Any) -> None:
    """`once_per` names what makes this event unique (an alert, a referral's step), so a replayed
    alert or a retried request cannot publish it twice."""
    event = ReferralEvent(kind=kind, case_id=case.id, pupil_id=case.pupil_id, school_urn=case.school_urn, **fields)
    add_to_outbox(session, topics.REFERRAL_EVENTS, event, dedupe_key=f"{kind}:{case.id}:{once_per}")
