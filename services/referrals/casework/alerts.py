"""What referrals does with each alert: keep its latest state and give the pupil one open case per school."""

from __future__ import annotations

from sqlmodel import Session, select

from services.referrals.casework.models import Alert, Case
from services.referrals.outbox import add_to_outbox
from shared import topics
from shared.events import ReferralEvent, RiskAlert, Transition


def record_alert(session: Session, alert: RiskAlert) -> None:
    """Idempotent: the same transition twice changes nothing. A new alert joins the pupil's open
    case at the alert's school, so the family tells its story once, and only to that school."""
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
        )
        session.add(row)
    else:
        row.status, row.band, row.updated_at = alert.transition, alert.band, alert.occurred_at
        row.reasons, row.figures = alert.reasons, alert.figures
    if alert.transition is Transition.RAISED and row.case_id is None:
        row.case_id = _link_to_case(session, alert)
    elif alert.transition is Transition.ESCALATED and row.case_id is not None:
        case = session.get(Case, row.case_id)
        case.routes = sorted(set(case.routes) | set(alert.routes))  # a higher band brings its own support
        session.add(case)


def _link_to_case(session: Session, alert: RiskAlert) -> int:
    case = session.exec(
        select(Case).where(Case.school_urn == alert.school_urn, Case.pupil_id == alert.pupil_id, Case.status == "open")
    ).first()
    kind = "alert_linked"
    if case is None:
        case = Case(pupil_id=alert.pupil_id, school_urn=alert.school_urn, routes=list(alert.routes))
        kind = "case_opened"
    else:
        case.routes = sorted(set(case.routes) | set(alert.routes))
    session.add(case)
    session.flush()
    event = ReferralEvent(
        kind=kind,
        case_id=case.id,
        alert_id=alert.alert_id,
        pupil_id=alert.pupil_id,
        school_urn=alert.school_urn,
        rule=alert.rule,
        routes=case.routes,
    )
    add_to_outbox(session, topics.REFERRAL_EVENTS, event, dedupe_key=f"{kind}:{alert.alert_id}")
    return case.id
