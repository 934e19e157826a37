"""Publishing referral events after the transaction that wrote them has committed."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from services.referrals.models import Outbox
from shared.kafka import make_producer
from shared.settings import KafkaSettings


class OutboxPublisher:
    def __init__(self, engine: Engine, kafka: KafkaSettings) -> None:
        self._engine = engine
        self._kafka = kafka
        self._producer = None

    def publish_pending(self) -> int:
        """Publish unpublished rows in order; each is marked only after the broker's ack."""
        with Session(self._engine) as session:
            rows = session.exec(select(Outbox).where(Outbox.published == False).order_by(Outbox.id)).all()  # noqa: E712
            if not rows:
                return 0
            if self._producer is None:
                self._producer = make_producer(self._kafka, client_id="referrals-outbox")
            futures = [self._producer.send(row.topic, key=row.key.encode(), value=row.payload.encode()) for row in rows]
            for row, future in zip(rows, futures, strict=True):
                future.get(timeout=self._kafka.request_timeout_ms / 1000)
                row.published = True
                session.add(row)
            session.commit()
            return len(rows)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
