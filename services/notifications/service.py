"""Deliver each alert transition staff must hear about, once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from email.message import EmailMessage

from sqlmodel import Session, select

from services.notifications.mailer import render_alert_email
from services.notifications.models import Delivery
from services.notifications.settings import Settings
from shared.events import RiskAlert, Transition, utcnow

NOTIFIED = (Transition.RAISED, Transition.ESCALATED)


def deliver_alert(
    session: Session, alert: RiskAlert, settings: Settings, send: Callable[[EmailMessage, Settings], None]
) -> bool:
    """Send the email unless the delivery log shows it was sent, or the school heard about this pupil
    and rule within the quiet period (then the row says "suppressed"). True if sent now."""
    if alert.transition not in NOTIFIED:
        return False
    logged = session.exec(
        select(Delivery).where(
            Delivery.alert_id == alert.alert_id, Delivery.transition == alert.transition, Delivery.channel == "email"
        )
    ).first()
    if logged is not None:
        return False
    message = render_alert_email(alert, settings)
    row = Delivery(
        alert_id=alert.alert_id,
        pupil_id=alert.pupil_id,
        rule=alert.rule,
        transition=alert.transition,
        recipient=message["To"],
        status="suppressed" if _recently_emailed(session, alert, settings.quiet_days) else "sent",
    )
    if row.status == "sent":
        send(message, settings)
    session.add(row)
    return row.status == "sent"


def _recently_emailed(session: Session, alert: RiskAlert, quiet_days: int) -> bool:
    """A new episode of a rule the school heard about for this pupil within the quiet period."""
    if alert.transition is not Transition.RAISED or alert.episode == 1:
        return False
    since = utcnow() - dt.timedelta(days=quiet_days)
    last = session.exec(
        select(Delivery).where(
            Delivery.pupil_id == alert.pupil_id,
            Delivery.rule == alert.rule,
            Delivery.status == "sent",
            Delivery.attempted_at >= since,
        )
    ).first()
    return last is not None
