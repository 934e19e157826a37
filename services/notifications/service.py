"""Deliver each alert transition staff must hear about, once."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

from sqlmodel import Session, select

from services.notifications.mailer import render_alert_email
from services.notifications.models import Delivery
from services.notifications.settings import Settings
from shared.events import RiskAlert, Transition

NOTIFIED = (Transition.RAISED, Transition.ESCALATED)


def deliver_alert(
    session: Session, alert: RiskAlert, settings: Settings, send: Callable[[EmailMessage, Settings], None]
) -> bool:
    """Send the email unless the delivery log shows it was sent. True if sent now."""
    if alert.transition not in NOTIFIED:
        return False
    sent = session.exec(
        select(Delivery).where(
            Delivery.alert_id == alert.alert_id, Delivery.transition == alert.transition, Delivery.channel == "email"
        )
    ).first()
    if sent is not None:
        return False
    message = render_alert_email(alert, settings)
    send(message, settings)
    session.add(Delivery(alert_id=alert.alert_id, transition=alert.transition, recipient=message["To"], status="sent"))
    return True
