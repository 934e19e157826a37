"""The delivery log: one row per (event, transition, channel, recipient), with its dispatch state."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.database import enum_text
from shared.events import utcnow


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its (next) try
    SENT = "sent"  # accepted by the channel
    SUPPRESSED = "suppressed"  # a re-raise inside the quiet period: recorded, not sent
    FAILED = "failed"  # refused for good, or out of tries: dead-lettered


class DeliveryBase(SQLModel):
    alert_id: str = Field(index=True)
    transition: str
    channel: str = "email"
    recipient: str
    status: DeliveryStatus = enum_text(DeliveryStatus, index=True)
    attempts: int = 0
    last_error: str | None = Field(None, description="The channel's answer to the last failed try")
    created_at: dt.datetime = Field(default_factory=utcnow)
    sent_at: dt.datetime | None = None


class Delivery(DeliveryBase, table=True):
    """The unique key makes a redelivered event a no-op; the dispatcher sends pending rows."""

    __table_args__ = (UniqueConstraint("alert_id", "transition", "channel", "recipient"),)
    id: int | None = Field(default=None, primary_key=True)
    next_attempt_at: dt.datetime = Field(default_factory=utcnow, index=True)
    # Kept to recognise a re-raised alert and to render the message; not in the public log.
    school_urn: str = Field(index=True)
    pupil_id: str = Field(index=True)
    rule: str
    source_topic: str
    payload: str = Field(description="The event, as JSON, that the message is rendered from")


class DeliveryPublic(DeliveryBase):
    id: int
