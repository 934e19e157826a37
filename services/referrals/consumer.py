"""What referrals does with each consumed event; the consumer loop commits after each call."""

from __future__ import annotations

from sqlmodel import Session

from services.referrals.casework.alerts import record_alert
from services.referrals.pupils import record_figures, record_identity
from shared import events


def handle_event(session: Session, event: events.Event) -> None:
    if isinstance(event, events.RiskAlert):
        record_alert(session, event)
    elif isinstance(event, events.PupilIdentity):
        record_identity(session, event)
    elif isinstance(event, events.PupilAttendance):
        record_figures(session, event)
