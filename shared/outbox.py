"""Events written in the same transaction as the change they describe, published after commit: each
service that publishes from its own database (referrals, notifications) keeps this table in it."""

from __future__ import annotations

from sqlalchemy import Engine, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

from shared.events import Event
from shared.kafka import make_producer
from shared.settings import KafkaSettings
from shared.topics import Topic


class Outbox(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("dedupe_key"),)
    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str
    topic: str
    key: str
    payload: str
    published: bool = Field(False, index=True)


def add_to_outbox(session: Session, topic: Topic, event: Event, dedupe_key: str) -> None:
    session.add(
        Outbox(
            dedupe_key=dedupe_key, topic=topic.name, key=topic.key_of(event).decode(), payload=event.model_dump_json()
        )
    )


class OutboxPublisher:
    def __init__(self, engine: Engine, kafka: KafkaSettings, *, client_id: str) -> None:
        self._engine, self._kafka, self._client_id = engine, kafka, client_id
        self._producer = None

    def publish_pending(self) -> int:
        """Publish unpublished rows in order; each is marked only after the broker's ack."""
        with Session(self._engine) as session:
            rows = session.exec(select(Outbox).where(Outbox.published == False).order_by(Outbox.id)).all()  # noqa: E712
            if not rows:
                return 0
            if self._producer is None:
                self._producer = make_producer(self._kafka, client_id=self._client_id)
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
