from __future__ import annotations

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.events import utcnow


class DeliveryBase(SQLModel):
    alert_id: str = Field(index=True)
    transition: str
    channel: str = "email"
    recipient: str
    status: str = Field(description="sent, or suppressed (a re-raise inside the quiet period)")
    attempted_at: dt.datetime = Field(default_factory=utcnow)


class Delivery(DeliveryBase, table=True):
    """One row per message: the unique key makes a redelivered alert a no-op."""

    __table_args__ = (UniqueConstraint("alert_id", "transition", "channel"),)
    id: int | None = Field(default=None, primary_key=True)
    # Kept to recognise a re-raised alert; not in the public log, which has no pupil data.
    pupil_id: str = Field(index=True)
    rule: str


class DeliveryPublic(DeliveryBase):
    id: int
