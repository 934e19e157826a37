"""Sending due deliveries, each on its own schedule: a recipient whose channel refuses is retried
with backoff, then failed and dead-lettered, while everyone else's messages go out.

A send is tried a few times at once with short jittered waits (tenacity), for the blips channels
have; if it still fails, the delivery is rescheduled with exponential backoff and jitter, so a
channel that is down for an hour is tried again without anyone resending by hand. Sending is the
one effect that cannot be made atomic with the log: a crash between the channel's acceptance and
the commit sends the message again, with the same reference (email Message-ID, Notify reference).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, func
from sqlmodel import Session, select
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from services.notifications import metrics
from services.notifications.channels import Channel as ChannelSender
from services.notifications.channels import Message, RefusedForGood, TransientFailure
from services.notifications.digests import digest_notices, gather_digests
from services.notifications.messages import digest_message, event_message, parent_message
from services.notifications.models import Channel, Delivery, DeliveryKind, DeliveryStatus, Recipient
from services.notifications.notices import Notice
from services.notifications.parent_rounds import make_due_rounds, parent_address
from services.notifications.settings import Settings
from shared.database import as_utc
from shared.events import DeadLetter, utcnow

log = logging.getLogger(__name__)
DUE_PER_ROUND = 200
NO_POSITION = -1  # a failed delivery's dead letter: the event was read fine, its delivery failed
QUICK_WAIT_MAX_S = 1.0

DeadLetterSink = Callable[[DeadLetter], None]


class Dispatcher(threading.Thread):
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        channels: Mapping[Channel, ChannelSender],
        dead_letter: DeadLetterSink,
        publish: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(name="notifications-dispatcher", daemon=True)
        self._engine, self._settings, self._channels, self._dead_letter = engine, settings, channels, dead_letter
        self._publish = publish  # the outbox (parent rounds' entries), after each pass
        self._stopping = threading.Event()
        self._pool = ThreadPoolExecutor(settings.dispatch_threads, thread_name_prefix="notifications-send")
        self.last_round: dt.datetime | None = None
        self._rounds_looked_at: float | None = None

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self.dispatch_due()
                self._publish()
            except Exception as error:  # the database or broker is away: try again shortly
                log.warning("dispatching failed; will retry", extra={"error": type(error).__name__})
                busy = 0
            self.last_round = utcnow()
            if not busy:
                self._stopping.wait(self._settings.dispatch_interval_s)
        self._pool.shutdown(wait=True)

    def dispatch_due(self, now: dt.datetime | None = None) -> int:
        """Gather due digests, then claim the due deliveries, hand them to their channels in parallel
        and record every outcome in one commit; returns how many were tried."""
        now = now or utcnow()
        with Session(self._engine) as session:
            since_rounds = None if self._rounds_looked_at is None else time.monotonic() - self._rounds_looked_at
            if since_rounds is None or since_rounds >= self._settings.parent_rounds_every_s:
                make_due_rounds(session, now)
                self._rounds_looked_at = time.monotonic()
            gather_digests(session, now)
            # Row-locked on PostgreSQL for the round, so two replicas never send the same delivery.
            due = session.exec(
                select(Delivery)
                .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now)
                .order_by(Delivery.next_attempt_at)
                .limit(DUE_PER_ROUND)
                .with_for_update(skip_locked=True)
            ).all()
            sends = self._sends(session, due)
            for (delivery, _, _), outcome in zip(sends, self._pool.map(self._attempt, sends), strict=True):
                if isinstance(outcome, Exception):
                    self._failed(delivery, outcome)
                else:
                    self._sent(delivery, outcome)
            session.add_all(due)
            session.commit()
            metrics.FAILED_WAITING.set(
                session.exec(select(func.count()).where(Delivery.status == DeliveryStatus.FAILED)).one()
            )
        return len(due)

    def _sends(self, session: Session, due: list[Delivery]) -> list[tuple[Delivery, Message, str]]:
        """Each due delivery with its message and address; one to someone who has left the directory
        is not sent."""
        ids = {delivery.recipient_id for delivery in due}
        recipients = {r.id: r for r in session.exec(select(Recipient).where(Recipient.id.in_(ids)))} if ids else {}
        sends = []
        for delivery in due:
            if delivery.kind is DeliveryKind.PARENT:
                address, gone = parent_address(session, delivery), "the family opted out or has no contact now"
            else:
                recipient = recipients.get(delivery.recipient_id)
                address = recipient.address if recipient is not None and recipient.active else None
                gone = "recipient left the directory"
            if address is None:
                delivery.status, delivery.last_error = DeliveryStatus.SUPPRESSED, gone
                continue
            sends.append((delivery, self._message(session, delivery), address))
        return sends

    def _attempt(self, send: tuple[Delivery, Message, str]) -> str | None | Exception:
        delivery, message, address = send
        try:
            return self._send_now(delivery.channel, message, address)
        except (TransientFailure, RefusedForGood) as error:
            return error

    def _message(self, session: Session, delivery: Delivery) -> Message:
        reference = f"delivery-{delivery.id}"
        if delivery.kind is DeliveryKind.PARENT:
            return parent_message(json.loads(delivery.payload)["text"], reference=reference)
        if delivery.kind is DeliveryKind.DIGEST:
            notices = digest_notices(session, delivery)
            day = dt.date.fromisoformat(json.loads(delivery.payload)["day"])
            return digest_message(notices, day=day, reference=reference, pages_url=self._settings.referrals_url)
        notice = Notice.from_json(json.loads(delivery.payload))
        return event_message(notice, reference=reference, pages_url=self._settings.referrals_url)

    def _send_now(self, channel: Channel, message: Message, address: str) -> str | None:
        sender = self._channels.get(channel)
        if sender is None:
            raise TransientFailure(f"channel {channel} is not configured here")
        for attempt in Retrying(
            stop=stop_after_attempt(self._settings.quick_retries),
            wait=wait_random_exponential(multiplier=0.1, max=QUICK_WAIT_MAX_S),
            retry=retry_if_exception_type(TransientFailure),
            reraise=True,
        ):
            with attempt:
                return sender.send(message, address)
        return None

    def _sent(self, delivery: Delivery, reference: str | None) -> None:
        now = utcnow()
        delivery.status, delivery.sent_at, delivery.channel_reference = DeliveryStatus.SENT, now, reference
        delivery.attempts += 1
        metrics.DELIVERED.labels(delivery.channel, "sent").inc()
        metrics.LATENCY.labels(delivery.channel, delivery.kind).observe(
            (now - as_utc(delivery.event_at)).total_seconds()
        )

    def _failed(self, delivery: Delivery, error: Exception) -> None:
        delivery.attempts += 1
        delivery.last_error = f"{type(error).__name__}: {error}"[:500]
        if isinstance(error, RefusedForGood) or delivery.attempts >= self._settings.max_attempts:
            self._fail_for_good(delivery)
            return
        # Exponential backoff, jittered over its upper half: replicas and recipients that failed
        # together do not all come back in the same second.
        ceiling = self._settings.retry_backoff_s * 2 ** (delivery.attempts - 1)
        wait = random.uniform(ceiling / 2, ceiling)
        delivery.next_attempt_at = utcnow() + dt.timedelta(seconds=wait)
        metrics.DELIVERED.labels(delivery.channel, "retrying").inc()
        log.info("a delivery will be tried again", extra={"delivery": delivery.id, "in_s": round(wait, 1)})

    def _fail_for_good(self, delivery: Delivery) -> None:
        tries = f"delivery {delivery.id} by {delivery.channel} failed after {delivery.attempts} tries"
        self._dead_letter(
            DeadLetter(
                source_topic=delivery.source_topic,
                partition=NO_POSITION,
                offset=NO_POSITION,
                reason=f"{tries}: {delivery.last_error}",
                payload=delivery.payload,
            )
        )
        delivery.status = DeliveryStatus.FAILED
        metrics.DELIVERED.labels(delivery.channel, "failed").inc()
        log.warning("a delivery failed for good; dead-lettered", extra={"delivery": delivery.id})
