"""Proposing support for a case from its alert, in the same transaction as the alert joins the case
(so a proposal adds no latency to the alert path); and making the referrals the law does not leave
to staff (children missing education) at once."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session

from services.referrals.calendars import term_of
from services.referrals.casework.capacity import places
from services.referrals.casework.models import Case, Proposal
from services.referrals.casework.referrals import open_interventions, refer
from services.referrals.casework.routing import Situation, propose
from services.referrals.pupils import PupilContextRow
from shared.calendar_store import school_days
from shared.events import utcnow


def situation_of(session: Session, case: Case, rule: str, band: str | None) -> Situation:
    context = session.get(PupilContextRow, (case.school_urn, case.pupil_id))
    return Situation(
        rule=rule,
        band=band,
        year_group=context.year_group if context else None,
        school_urn=case.school_urn,
        area_code=context.area_code if context else None,
    )


def current_proposals(session: Session, case: Case, rule: str, band: str | None):
    """What the routing policy proposes now, given the places free this term."""
    situation = situation_of(session, case, rule, band)
    term = term_of(school_days(session, case.school_urn), utcnow().date())
    return propose(
        situation, places(session, case.school_urn, situation.area_code, term), open_interventions(session, case.id)
    )


def refresh_proposals(session: Session, case: Case, alert_id: str, rule: str, band: str | None) -> list[Proposal]:
    """Replace the case's open proposals with those for this alert; refer at once where the policy says."""
    session.execute(delete(Proposal).where(Proposal.case_id == case.id, Proposal.status == "proposed"))
    rows = []
    for rank, proposal in enumerate(current_proposals(session, case, rule, band), start=1):
        if proposal.refer_at_once:
            refer(session, case, intervention=proposal.intervention, provider_id=proposal.provider_id,
                  reason=proposal.reason, staff_id=None)  # fmt: skip
            continue
        row = Proposal(
            case_id=case.id,
            alert_id=alert_id,
            rank=rank,
            intervention=proposal.intervention,
            provider_id=proposal.provider_id,
            reason=proposal.reason,
            waitlist=proposal.waitlist,
        )
        session.add(row)
        rows.append(row)
    return rows
