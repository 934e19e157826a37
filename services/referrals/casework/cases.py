"""Working a case: its lead practitioner, support stage and plan, notes, and closing it.

Support comes first: enforcement only by an LA role and only after a support stage was recorded. A
case does not close while a rule still holds for the pupil unless the closer says why; the usual
path is stepping down to monitoring, then closing with an outcome. A pupil who leaves the school
closes the school's case with the outcome "left"."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from services.referrals.auth import Scope
from services.referrals.casework.catalogue import Stage, support_first_problem
from services.referrals.casework.events import record_event
from services.referrals.casework.models import (
    OPEN_REFERRALS,
    OPEN_STATUSES,
    Alert,
    Case,
    CaseOutcome,
    EntryKind,
    Referral,
    TimelineEntry,
)
from services.referrals.casework.referrals import ReferralAction, act
from services.referrals.staff import Role, StaffMember
from shared.events import ReferralEventKind, utcnow
from shared.problems import Conflict, DomainError, Forbidden


class Invalid(DomainError):
    status = 422


def open_case_for(session: Session, school_urn: str, pupil_id: str) -> Case | None:
    return session.exec(
        select(Case).where(Case.school_urn == school_urn, Case.pupil_id == pupil_id, Case.status == "open")
    ).first()


def note(session: Session, case: Case, kind: EntryKind, text: str, *, staff_id: int | None, sensitive: bool = False):
    entry = TimelineEntry(case_id=case.id, staff_id=staff_id, kind=kind, text=text, sensitive=sensitive)
    session.add(entry)
    return entry


def recorded_stages(session: Session, case: Case) -> set[Stage]:
    entries = session.exec(
        select(TimelineEntry.stage).where(
            TimelineEntry.case_id == case.id, TimelineEntry.kind == EntryKind.STAGE_CHANGED
        )
    ).all()
    return {case.stage, *entries}


def change_stage(session: Session, scope: Scope, case: Case, stage: Stage) -> None:
    if stage == case.stage:
        return
    if stage is Stage.ENFORCE and not scope.borough:
        raise Forbidden("only a local-authority role may move a case to enforcement")
    problem = support_first_problem(stage, recorded_stages(session, case))
    if problem:
        raise Conflict(problem)
    entry = note(session, case, EntryKind.STAGE_CHANGED, f"stage: {case.stage} → {stage}", staff_id=scope.staff_id)
    entry.stage = stage
    case.stage = stage
    record_event(session, case, ReferralEventKind.STAGE_CHANGED, once_per=f"{case.version}:{stage}", stage=stage)


def assign_lead(session: Session, scope: Scope, case: Case, lead_staff_id: int) -> None:
    if lead_staff_id == case.lead_staff_id:
        return
    lead = session.get(StaffMember, lead_staff_id)
    if lead is None or lead.revoked_at is not None:
        raise Invalid(f"no staff member {lead_staff_id} to lead the case")
    if not (Role(lead.role).borough or lead.school_urn == case.school_urn):
        raise Invalid(f"{lead.name} works outside school {case.school_urn} and cannot lead its case")
    case.lead_staff_id = lead_staff_id
    note(session, case, EntryKind.LEAD_CHANGED, f"lead practitioner: {lead.name}", staff_id=scope.staff_id)
    record_event(session, case, ReferralEventKind.LEAD_ASSIGNED, once_per=f"{case.version}:{lead_staff_id}",
                 lead_staff_id=lead_staff_id)  # fmt: skip


def set_plan(session: Session, scope: Scope, case: Case, plan_summary: str) -> None:
    if plan_summary != case.plan_summary:
        case.plan_summary = plan_summary
        note(session, case, EntryKind.PLAN_CHANGED, f"plan: {plan_summary}", staff_id=scope.staff_id)


def holding_rules(session: Session, case: Case) -> list[str]:
    """Rules whose alerts for this case are still open: they still hold for the pupil."""
    return sorted(
        set(session.exec(select(Alert.rule).where(Alert.case_id == case.id, Alert.status.in_(OPEN_STATUSES))).all())
    )


def close(
    session: Session, case: Case, outcome: CaseOutcome, *, staff_id: int | None, override_reason: str | None = None
) -> None:
    if case.status != "open":
        raise Conflict(f"case {case.id} is already closed")
    holding = holding_rules(session, case)
    if holding and outcome is not CaseOutcome.LEFT and not override_reason:
        raise Conflict(
            f"{', '.join(holding)} still hold(s) for this pupil: step the case down to monitoring and close it when "
            "they stop, or give an override_reason",
            holding=holding,
        )
    for referral in session.exec(
        select(Referral).where(Referral.case_id == case.id, Referral.status.in_(OPEN_REFERRALS))
    ).all():
        act(session, referral, ReferralAction.WITHDRAW, staff_id=staff_id)
    case.status, case.closed_at, case.outcome = "closed", utcnow(), outcome
    case.close_reason = override_reason if holding else None
    text = f"case closed: {outcome}" + (f" (override: {override_reason})" if holding and override_reason else "")
    note(session, case, EntryKind.CASE_CLOSED, text, staff_id=staff_id)
    record_event(session, case, ReferralEventKind.CASE_CLOSED, once_per="closed", outcome=outcome)


def close_for_leaver(session: Session, school_urn: str, pupil_id: str, leaving_date: dt.date) -> None:
    """The pupil left the school: its case closes with the outcome "left"."""
    case = open_case_for(session, school_urn, pupil_id)
    if case is not None and leaving_date <= utcnow().date():
        close(session, case, CaseOutcome.LEFT, staff_id=None)
