"""Building a notifications database with a directory, feeding it events and dispatching, for the
notification tests. The channel here records what it was handed: the real channels are tested
against real local servers in tests/integration/test_channels.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlmodel import Session, select

from services.notifications.app import open_database
from services.notifications.channels import Message, RefusedForGood, TransientFailure
from services.notifications.directory import NewRecipient, add_recipient
from services.notifications.dispatch import Dispatcher
from services.notifications.intake import take_event
from services.notifications.models import Channel, Delivery
from services.notifications.settings import Settings
from shared import events, topics
from tests.factories import SCHOOL_A

TOPIC_OF = {
    events.RiskAlert: topics.RISK_ALERTS,
    events.ReferralEvent: topics.REFERRAL_EVENTS,
    events.PupilContext: topics.PUPIL_CONTEXT,
    events.SchoolCalendar: topics.SCHOOL_CALENDAR,
    events.PupilAttendance: topics.PUPIL_ATTENDANCE,
    events.PupilContacts: topics.CONTACTS,
}


@dataclass
class RecordingChannel:
    """Keeps what it accepts; refuses some addresses for good, fails others a number of times first."""

    refuse: set[str] = field(default_factory=set)
    fail_first: dict[str, int] = field(default_factory=dict)
    sent: list[tuple[Message, str]] = field(default_factory=list)

    def send(self, message: Message, address: str) -> str:
        if address in self.refuse:
            raise RefusedForGood(f"550 no such mailbox {address}")
        if self.fail_first.get(address, 0) > 0:
            self.fail_first[address] -= 1
            raise TransientFailure("421 try again later")
        self.sent.append((message, address))
        return f"ref-{len(self.sent)}"

    def to(self, address: str) -> list[Message]:
        return [message for message, sent_to in self.sent if sent_to == address]


@dataclass
class Notifications:
    engine: Engine
    settings: Settings
    channel: RecordingChannel = field(default_factory=RecordingChannel)
    letters: list = field(default_factory=list)

    def add(self, name: str, role: str, *, school: str | None = SCHOOL_A, channel: Channel = Channel.EMAIL,
            address: str | None = None, **fields) -> int:  # fmt: skip
        entry = NewRecipient(
            name=name, role=role, school_urn=school, channel=channel,
            address=address or f"{name.lower().replace(' ', '.')}@school.example", **fields,
        )  # fmt: skip
        with Session(self.engine) as session:
            return add_recipient(session, entry).id

    def take(self, *consumed: events.Event) -> None:
        for event in consumed:
            with Session(self.engine) as session:
                take_event(session, TOPIC_OF[type(event)], event, self.settings)
                session.commit()

    def dispatch(self, now: dt.datetime | None = None) -> None:
        dispatcher = Dispatcher(self.engine, self.settings, dict.fromkeys(Channel, self.channel), self.letters.append)
        while dispatcher.dispatch_due(now):
            pass

    def deliveries(self) -> list[Delivery]:
        with Session(self.engine) as session:
            return list(session.exec(select(Delivery).order_by(Delivery.id)))


def notifications_in(tmp_path, **settings) -> Notifications:
    """Quiet hours and school days off unless a test sets them: sending is tested at any hour."""
    options = {"quiet_hours": "00:00-00:00", "respect_school_days": False, "retry_backoff_s": 0.001,
               "quick_retries": 1, **settings}  # fmt: skip
    config = Settings(database_url=f"sqlite:///{tmp_path / 'n.db'}", consumer_enabled=False, **options)
    return Notifications(open_database(config), config)
