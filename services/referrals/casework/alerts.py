"""What referrals does with each alert: keep its latest state, give the pupil one open case per
school that every new alert joins (so the family tells its story once, and only to that school),
put the alert on the case's timeline and propose support, all in one transaction."""

from __future__ import annotations

from sqlmodel import Session

from services.referrals.casework.cases import note, open_case_for
from services.referrals.casework.events import record_event
from services.referrals.casework.models import Alert, Case, EntryKind
from services.referrals.casework.proposals import refresh_proposals
from shared.events import ReferralEventKind, RiskAlert, Transition

PROPOSING = (Transition.RAISED, Transition.ESCALATED)


def record_alert(session: Session, alert: RiskAlert) -> None:
    """Idempotent: the same transition twice changes nothing."""
    row = session.get(Alert, alert.alert_id)
    if row is not None and row.status == alert.transition and row.band == alert.band:
        return
    if row is None:
        row = Alert(
            alert_id=alert.alert_id,
            pupil_id=alert.pupil_id,
            school_urn=alert.school_urn,
            rule=alert.rule,
            episode=alert.episode,
            status=alert.transition,
            band=alert.band,
            reasons=alert.reasons,
            figures=alert.figures,
            raised_at=alert.occurred_at,
            updated_at=alert.occurred_at,
            as_of=alert.as_of,
        )
        session.add(row)
    else:
        row.status, row.band, row.updated_at = alert.transition, alert.band, alert.occurred_at
        row.reasons, row.figures, row.as_of = alert.reasons, alert.figures, alert.as_of
    if row.case_id is None and alert.transition.leaves_open:
        row.case_id = _join_case(session, alert).id
    if row.case_id is None:
        return
    case = session.get(Case, row.case_id)
    what = (alert.band or alert.rule).replace("_", " ")
    note(session, case, EntryKind.ALERT, f"{what}: {alert.transition}. {' '.join(alert.reasons[:1])}", staff_id=None)
    if alert.transition in PROPOSING and case.status == "open":
        refresh_proposals(session, case, alert.alert_id, alert.rule, alert.band)


def _join_case(session: Session, alert: RiskAlert) -> Case:
    case = open_case_for(session, alert.school_urn, alert.pupil_id)
    kind = ReferralEventKind.ALERT_LINKED
    if case is None:
        case = Case(
            pupil_id=alert.pupil_id,
            school_urn=alert.school_urn,
            opened_at=alert.occurred_at,
            first_alert_on=alert.as_of or alert.occurred_at.date(),
        )
        session.add(case)
        session.flush()
        note(session, case, EntryKind.CASE_OPENED, "case opened", staff_id=None)
        kind = ReferralEventKind.CASE_OPENED
    record_event(session, case, kind, once_per=alert.alert_id, alert_id=alert.alert_id, rule=alert.rule)
    return case
