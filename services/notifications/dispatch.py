"""Sending pending deliveries, each on its own schedule: a recipient whose server refuses is retried
with backoff, then failed and dead-lettered, while everyone else's messages go out.

Email is the one effect that cannot be made atomic with the log: a crash between the relay's
acceptance and the commit sends the message again, with the same Message-ID.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from email.message import EmailMessage

from sqlalchemy import Engine
from sqlmodel import Session, select

from services.notifications import metrics
from services.notifications.mailer import refused_for_good, render_alert_email
from services.notifications.models import Delivery, DeliveryStatus
from services.notifications.settings import Settings
from shared.events import DeadLetter, RiskAlert, utcnow

log = logging.getLogger(__name__)
DUE_PER_ROUND = 50
NO_POSITION = -1  # a failed delivery's dead letter: the event was read fine, its delivery failed

Send = Callable[[EmailMessage], None]
DeadLetterSink = Callable[[DeadLetter], None]


class Dispatcher(threading.Thread):
    def __init__(self, engine: Engine, settings: Settings, send: Send, dead_letter: DeadLetterSink) -> None:
        super().__init__(name="notifications-dispatcher", daemon=True)
        self._engine, self._settings, self._send, self._dead_letter = engine, settings, send, dead_letter
        self._stopping = threading.Event()
        self.last_round: dt.datetime | None = None

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self.dispatch_due()
            except Exception as error:  # the database or broker is away: try again shortly
                log.warning("dispatching failed; will retry", extra={"error": type(error).__name__})
                busy = 0
            self.last_round = utcnow()
            if not busy:
                self._stopping.wait(self._settings.dispatch_interval_s)

    def dispatch_due(self) -> int:
        """Try every delivery that is due; returns how many were tried."""
        with Session(self._engine) as session:
            due = session.exec(
                select(Delivery.id)
                .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= utcnow())
                .order_by(Delivery.next_attempt_at)
                .limit(DUE_PER_ROUND)
            ).all()
        for delivery_id in due:
            self._try(delivery_id)
        return len(due)

    def _try(self, delivery_id: int) -> None:
        with Session(self._engine) as session:
            # Row-locked on PostgreSQL, so two replicas never send the same delivery.
            delivery = session.exec(
                select(Delivery).where(Delivery.id == delivery_id).with_for_update(skip_locked=True)
            ).first()
            if delivery is None or delivery.status != DeliveryStatus.PENDING:
                return
            alert = RiskAlert.model_validate_json(delivery.payload)
            try:
                self._send(render_alert_email(alert, self._settings, delivery.recipient))
            except Exception as error:
                self._failed(delivery, error)
            else:
                delivery.status, delivery.sent_at = DeliveryStatus.SENT, utcnow()
                delivery.attempts += 1
                metrics.DELIVERED.labels(delivery.channel, "sent").inc()
            session.add(delivery)
            session.commit()

    def _failed(self, delivery: Delivery, error: Exception) -> None:
        delivery.attempts += 1
        delivery.last_error = f"{type(error).__name__}: {error}"[:500]
        if refused_for_good(error) or delivery.attempts >= self._settings.max_attempts:
            tries = f"delivery {delivery.id} by {delivery.channel} failed after {delivery.attempts} tries"
            reason = f"{tries}: {delivery.last_error}"
            self._dead_letter(
                DeadLetter(
                    source_topic=delivery.source_topic,
                    partition=NO_POSITION,
                    offset=NO_POSITION,
                    reason=reason,
                    payload=delivery.payload,
                )
            )
            delivery.status = DeliveryStatus.FAILED
            metrics.DELIVERED.labels(delivery.channel, "failed").inc()
            log.warning("a delivery failed for good; dead-lettered", extra={"delivery": delivery.id})
            return
        wait = self._settings.retry_backoff_s * 2 ** (delivery.attempts - 1)
        delivery.next_attempt_at = utcnow() + dt.timedelta(seconds=wait)
        metrics.DELIVERED.labels(delivery.channel, "retrying").inc()
        log.info("a delivery will be tried again", extra={"delivery": delivery.id, "in_s": wait})
