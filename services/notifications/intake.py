"""Which events become deliveries, and to whom. Sending is the dispatcher's job (dispatch.py), so a
recipient whose server refuses never holds up another's message."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from services.notifications.models import Delivery, DeliveryStatus
from services.notifications.settings import Settings
from shared import topics
from shared.events import RiskAlert, Transition, utcnow

NOTIFIED = (Transition.RAISED, Transition.ESCALATED)


def take_alert(session: Session, alert: RiskAlert, settings: Settings) -> Delivery | None:
    """Record the delivery an alert transition needs (pending, or suppressed inside the quiet period).
    Idempotent: a redelivered alert finds its row and adds nothing."""
    if alert.transition not in NOTIFIED:
        return None
    recipient = settings.recipient_template.format(school_urn=alert.school_urn)
    logged = session.exec(
        select(Delivery).where(
            Delivery.alert_id == alert.alert_id,
            Delivery.transition == alert.transition,
            Delivery.channel == "email",
            Delivery.recipient == recipient,
        )
    ).first()
    if logged is not None:
        return None
    delivery = Delivery(
        alert_id=alert.alert_id,
        transition=alert.transition,
        recipient=recipient,
        status=DeliveryStatus.SUPPRESSED
        if _recently_notified(session, alert, settings.quiet_days)
        else DeliveryStatus.PENDING,
        school_urn=alert.school_urn,
        pupil_id=alert.pupil_id,
        rule=alert.rule,
        source_topic=topics.RISK_ALERTS.name,
        payload=alert.model_dump_json(),
    )
    session.add(delivery)
    return delivery


def _recently_notified(session: Session, alert: RiskAlert, quiet_days: int) -> bool:
    """A new episode of a rule the school heard about for this pupil within the quiet period."""
    if alert.transition is not Transition.RAISED or alert.episode == 1:
        return False
    since = utcnow() - dt.timedelta(days=quiet_days)
    last = session.exec(
        select(Delivery).where(
            Delivery.school_urn == alert.school_urn,
            Delivery.pupil_id == alert.pupil_id,
            Delivery.rule == alert.rule,
            Delivery.status.in_((DeliveryStatus.SENT, DeliveryStatus.PENDING)),
            Delivery.created_at >= since,
        )
    ).first()
    return last is not None
