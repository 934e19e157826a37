"""What operations does with the delivery log: resend what failed, and record what channels later
report about what they accepted (Notify's delivery receipts)."""

from __future__ import annotations

from sqlmodel import Session, select

from services.notifications import metrics
from services.notifications.models import Delivery, DeliveryStatus
from shared.events import utcnow
from shared.problems import DomainError

# Notify's final statuses that mean the message will never arrive.
NOTIFY_FAILURES = ("permanent-failure", "temporary-failure", "technical-failure")


class DeliveryNotFound(DomainError):
    status = 404


class NotResendable(DomainError):
    status = 409


def resend(session: Session, delivery_id: int) -> Delivery:
    """A failed delivery goes again with a fresh set of tries (same row: still exactly one per event,
    recipient and channel)."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise DeliveryNotFound(f"no delivery {delivery_id}")
    if delivery.status is not DeliveryStatus.FAILED:
        raise NotResendable(f"delivery {delivery_id} is {delivery.status}; only failed deliveries are resent")
    delivery.status, delivery.attempts, delivery.next_attempt_at = DeliveryStatus.PENDING, 0, utcnow()
    session.add(delivery)
    session.commit()
    session.refresh(delivery)
    return delivery


def failed_ids(session: Session) -> list[int]:
    return list(session.exec(select(Delivery.id).where(Delivery.status == DeliveryStatus.FAILED).order_by(Delivery.id)))


def record_receipt(session: Session, *, reference: str | None, channel_id: str, status: str) -> Delivery | None:
    """A channel's later word on a message it accepted. A message Notify could not deliver is
    marked failed, so operations sees it among the failed and can resend it."""
    delivery = None
    if reference and reference.startswith("delivery-") and reference[9:].isdigit():
        delivery = session.get(Delivery, int(reference[9:]))  # our reference: the row's key
    if delivery is None or delivery.channel_reference != channel_id:
        delivery = session.exec(select(Delivery).where(Delivery.channel_reference == channel_id)).first()
    if delivery is None:
        return None
    delivery.channel_status = status
    metrics.CALLBACKS.labels(delivery.channel, status).inc()
    if status in NOTIFY_FAILURES and delivery.status is DeliveryStatus.SENT:
        delivery.status, delivery.last_error = DeliveryStatus.FAILED, f"Notify reported {status}"
    session.add(delivery)
    session.commit()
    return delivery
