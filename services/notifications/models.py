"""The notifications database: the recipient directory, the delivery log, and what intake keeps
from other topics to route by (each pupil's year group, each case's lead)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.notifications.routing import RecipientRole
from shared.database import enum_text
from shared.events import utcnow


class Channel(enum.StrEnum):
    EMAIL = "email"  # SMTP
    NOTIFY_EMAIL = "notify_email"  # GOV.UK Notify, email
    NOTIFY_SMS = "notify_sms"  # GOV.UK Notify, text message
    TEAMS = "teams"  # a Microsoft Teams Workflows webhook


class TimingPreference(enum.StrEnum):
    AS_ROUTED = "as_routed"  # what who_hears.toml says for each event
    DIGEST = "digest"  # everything but critical events in the daily digest
    IMMEDIATE = "immediate"  # everything at once (outside quiet hours)


class RecipientFields(SQLModel):
    name: str = Field(max_length=120, description="Who this is, as staff know them (not a pupil)")
    role: RecipientRole = enum_text(RecipientRole, index=True)
    school_urn: str | None = Field(None, index=True, description="The school; none for the LA's own people")
    year_group: int | None = Field(None, ge=-2, le=14, description="For a head of year: the year group")
    staff_id: int | None = Field(None, index=True, description="For a lead practitioner: their staff id in referrals")
    provider_id: int | None = Field(None, index=True, description="For a provider contact: the provider's id")
    channel: Channel = enum_text(Channel)
    address: str = Field(max_length=500, description="Email address, mobile number or Teams webhook URL")
    timing: TimingPreference = enum_text(TimingPreference, TimingPreference.AS_ROUTED)
    quiet_hours: str | None = Field(None, description="HH:MM-HH:MM local; the service default when absent")


class Recipient(RecipientFields, table=True):
    id: int | None = Field(default=None, primary_key=True)
    active: bool = Field(True, index=True)
    created_at: dt.datetime = Field(default_factory=utcnow)


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its (next) try
    WAITING_FOR_DIGEST = "waiting_for_digest"  # will join the recipient's next digest
    IN_DIGEST = "in_digest"  # went out in the digest `digest_id`
    SENT = "sent"  # accepted by the channel
    SUPPRESSED = "suppressed"  # a re-raise inside the quiet period: recorded, not sent
    FAILED = "failed"  # refused for good, or out of tries: dead-lettered, can be resent


class DeliveryKind(enum.StrEnum):
    EVENT = "event"  # one event to one recipient
    DIGEST = "digest"  # the day's waiting events for one recipient, as one message
    PARENT = "parent"  # a half-term message to one parent (recipient_id: PARENTS)


PARENTS = 0  # the recipient of parent messages: the family's contact, looked up when sending


class DeliveryBase(SQLModel):
    notice_key: str = Field(index=True, description="The event (or digest:<date>) this message is about")
    recipient_id: int = Field(index=True)
    channel: Channel = enum_text(Channel)
    kind: DeliveryKind = enum_text(DeliveryKind, DeliveryKind.EVENT)
    status: DeliveryStatus = enum_text(DeliveryStatus, index=True)
    attempts: int = 0
    last_error: str | None = Field(None, description="The channel's answer to the last failed try")
    created_at: dt.datetime = Field(default_factory=utcnow)
    sent_at: dt.datetime | None = None
    digest_id: int | None = Field(None, index=True, description="The digest this event went out in")
    channel_reference: str | None = Field(None, description="The channel's id for the message (Notify's)")
    channel_status: str | None = Field(None, description="The channel's last reported status (Notify callbacks)")


class Delivery(DeliveryBase, table=True):
    """The unique key makes a redelivered event a no-op and a digest go once a day; the dispatcher
    sends pending rows."""

    __table_args__ = (UniqueConstraint("notice_key", "recipient_id", "channel"),)
    id: int | None = Field(default=None, primary_key=True)
    next_attempt_at: dt.datetime = Field(default_factory=utcnow, index=True)
    event_at: dt.datetime = Field(default_factory=utcnow, description="When the event happened (for latency)")
    # Kept to recognise a re-raised alert and to render the message; not in the public log.
    school_urn: str | None = Field(None, index=True)
    pupil_id: str | None = Field(None, index=True)
    rule: str | None = None
    source_topic: str
    payload: str = Field(description="The notice, as JSON, that the message is rendered from")


class DeliveryPublic(DeliveryBase):
    id: int


class PupilYearGroup(SQLModel, table=True):
    """From pupil.context, only the year group: a head of year hears about their own year."""

    school_urn: str = Field(primary_key=True)
    pupil_id: str = Field(primary_key=True)
    year_group: int


class CaseLead(SQLModel, table=True):
    """From referral.events: who leads each case, for events that do not name them."""

    case_id: int = Field(primary_key=True)
    school_urn: str
    lead_staff_id: int


class OpenAlert(SQLModel, table=True):
    """From risk.alerts: the rules each pupil is flagged by now, for parent messages."""

    school_urn: str = Field(primary_key=True)
    pupil_id: str = Field(primary_key=True)
    rule: str = Field(primary_key=True)


class SessionsSoFar(SQLModel, table=True):
    """From pupil.attendance, the year's sessions so far: the days missed a parent message states."""

    school_urn: str = Field(primary_key=True)
    pupil_id: str = Field(primary_key=True)
    possible: int
    attended: int


class ParentContacts(SQLModel, table=True):
    """From pupil.contacts (read by no other service): how to reach the family, and opt-out."""

    school_urn: str = Field(primary_key=True)
    pupil_id: str = Field(primary_key=True)
    parents: list = Field(default_factory=list, sa_column=Column(JSON))
    opted_out: bool = False


class ParentPlanFields(SQLModel):
    rules: str = Field(description="Comma-separated alert rules whose flagged pupils' parents are written to")
    wording: str = Field(max_length=600, description="The school's words, with {days_missed}")
    hold_back_share: float = Field(0.0, ge=0.0, le=0.9, description="Share of flagged pupils held back, at random")
    seed: str = Field("", max_length=100, description="Seed of the hold-back's hash; the school's choice")
    send_at: dt.time = Field(dt.time(10, 0), description="Local time on the half-term's first school day")
    active: bool = True


class ParentPlan(ParentPlanFields, table=True):
    """A school's choice to message parents at each half-term's start."""

    school_urn: str = Field(primary_key=True)


class ParentRound(SQLModel, table=True):
    """One school's messages for one half-term: made once."""

    school_urn: str = Field(primary_key=True)
    half_term_start: dt.date = Field(primary_key=True)
    made_at: dt.datetime = Field(default_factory=utcnow)
    flagged: int
    sent: int
    held_back: int
    opted_out: int
    no_contact: int


class ParentMessage(SQLModel, table=True):
    """A flagged pupil's arm in a round, and the days missed the message stated (or would have):
    what an evaluation compares."""

    __table_args__ = (UniqueConstraint("school_urn", "pupil_id", "half_term_start"),)
    id: int | None = Field(default=None, primary_key=True)
    school_urn: str = Field(index=True)
    pupil_id: str
    half_term_start: dt.date = Field(index=True)
    arm: str
    rules: str
    days_missed: float
    possible_sessions: int
