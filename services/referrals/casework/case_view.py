"""One case as a member of staff may see it: the child (to roles allowed), their figures, the case's
alerts, timeline (sensitive notes only to roles allowed), referrals and open proposals."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field
from sqlmodel import Session, select

from services.referrals.auth import Scope
from services.referrals.casework import cases as casework
from services.referrals.casework.models import (
    Alert,
    AlertPublic,
    Case,
    CasePublic,
    Proposal,
    ProposalPublic,
    Referral,
    ReferralPublic,
    TimelineEntry,
    TimelineEntryPublic,
)
from services.referrals.pupils import CurrentFigures, PupilContextRow, PupilFigures, PupilIdentity
from services.referrals.staff import StaffMember


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
