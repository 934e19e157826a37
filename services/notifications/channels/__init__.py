"""The channels a message can go by, each behind one interface (Channel): email over SMTP, GOV.UK
Notify (email and text message) and Microsoft Teams. Each says whether a failure is worth another
try (TransientFailure) or final for this message (RefusedForGood)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Message:
    reference: str  # unique per delivery: the email's Message-ID, Notify's reference
    subject: str
    text: str
    html: str
    link: str
    short_text: str  # a text message's body
    card: dict = field(default_factory=dict)  # a Teams Adaptive Card


class TransientFailure(Exception):
    """The channel is away, busy or misconfigured: the same message may succeed later."""


class RefusedForGood(Exception):
    """The channel refused this message for a reason another try will not change."""


class Channel(Protocol):
    def send(self, message: Message, address: str) -> str | None:
        """Hand the message over; the channel's id for it, where it gives one."""
