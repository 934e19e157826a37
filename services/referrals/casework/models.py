"""Casework tables and their public shapes (Base / table / Public, so tables never leak into the API).

A case is one pupil at one school, open until support has done its work; its timeline keeps every
note and action with who and when (notes are never edited, a correction is a new note). A referral
is one intervention offered to the pupil, followed through its funnel to an outcome.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Column, Index, Integer, text
from sqlmodel import Field, SQLModel

from services.referrals.casework.catalogue import ProviderKind, Stage
from services.referrals.pupils import CurrentFigures
from shared.database import enum_text, timestamp
from shared.events import utcnow


class AlertBase(SQLModel):
    alert_id: str = Field(primary_key=True)
    pupil_id: str = Field(index=True)
    school_urn: str = Field(index=True)
    rule: str = Field(index=True)
    episode: int
    status: str = Field(index=True, description="The latest transition: raised, escalated, de-escalated or resolved")
    band: str | None = None
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    figures: dict[str, float] = Field(
        default_factory=dict, sa_column=Column(JSON), description="The figures when the alert last moved"
    )
    raised_at: dt.datetime = timestamp(index=True)
    updated_at: dt.datetime = timestamp()
    as_of: dt.date | None = Field(None, index=True, description="The school day of the figures it last moved with")


class Alert(AlertBase, table=True):
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)


class AlertPublic(AlertBase):
    case_id: int | None
    current: CurrentFigures | None = Field(None, description="The pupil's figures now, for an open alert")


OPEN_STATUSES = ("raised", "escalated", "de-escalated")


class CaseOutcome(enum.StrEnum):
    IMPROVED = "improved"  # attendance recovered with support
    NO_LONGER_NEEDED = "no_longer_needed"  # the rule stopped holding (a correction, a short illness)
    LEFT = "left"  # the pupil left the school
    REFERRED_ON = "referred_on"  # to the LA, early help or another service that now leads
    OVERRIDDEN = "overridden"  # closed while a rule still held, with the reason recorded


# Row versions for optimistic concurrency: two staff editing at once cannot lose each other's change.
_CASE_VERSION = Column("version", Integer, nullable=False)
_REFERRAL_VERSION = Column("version", Integer, nullable=False)


class CaseBase(SQLModel):
    pupil_id: str = Field(index=True)
    school_urn: str = Field(index=True)
    status: str = Field("open", index=True, description="open or closed")
    stage: Stage = enum_text(Stage, Stage.MONITOR, index=True, description="The support stage the pupil is at")
    lead_staff_id: int | None = Field(None, foreign_key="staffmember.id", index=True, description="Lead practitioner")
    plan_summary: str = Field("", description="The one shared plan around the child")
    opened_at: dt.datetime = timestamp(default_factory=utcnow, index=True)
    first_alert_on: dt.date | None = Field(None, description="The school day of the first alert: the KPIs' clock")
    closed_at: dt.datetime | None = timestamp(default=None)
    outcome: CaseOutcome | None = enum_text(CaseOutcome, None)
    close_reason: str | None = Field(None, description="Why a case closed while a rule still held")


class Case(CaseBase, table=True):
    # One open case per pupil per school, enforced by the database too (two consumers racing).
    __table_args__ = (
        Index(
            "one_open_case_per_enrolment",
            "school_urn",
            "pupil_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )
    __mapper_args__ = {"version_id_col": _CASE_VERSION}  # a stale write raises StaleDataError: 412
    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(1, sa_column=_CASE_VERSION, description="A write must name the version it read (If-Match)")


class CasePublic(CaseBase):
    id: int
    version: int


class EntryKind(enum.StrEnum):
    CASE_OPENED = "case_opened"
    ALERT = "alert"
    NOTE = "note"
    STAGE_CHANGED = "stage_changed"
    LEAD_CHANGED = "lead_changed"
    PLAN_CHANGED = "plan_changed"
    REFERRAL = "referral"
    CASE_CLOSED = "case_closed"


class TimelineEntryBase(SQLModel):
    case_id: int = Field(foreign_key="case.id", index=True)
    at: dt.datetime = timestamp(default_factory=utcnow)
    staff_id: int | None = Field(None, description="Who; None when the system did it (an alert)")
    kind: EntryKind = enum_text(EntryKind)
    text: str
    sensitive: bool = Field(False, description="Visible only to the designated safeguarding lead and LA roles")
    stage: Stage | None = enum_text(Stage, None, description="The stage a stage change moved to")
    referral_id: int | None = None


class TimelineEntry(TimelineEntryBase, table=True):
    id: int | None = Field(default=None, primary_key=True)


class TimelineEntryPublic(TimelineEntryBase):
    id: int
    staff_name: str | None = None


class ProviderBase(SQLModel):
    name: str
    kind: ProviderKind = enum_text(ProviderKind)
    interventions: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    school_urns: list[str] = Field(default_factory=list, sa_column=Column(JSON), description="Schools it serves")
    area_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON), description="Areas it serves")
    borough_wide: bool = Field(False, description="Serves every school (LA teams)")
    capacity_per_term: int = Field(ge=0, description="Pupils it can start with each term")
    active: bool = True


class Provider(ProviderBase, table=True):
    id: int | None = Field(default=None, primary_key=True)


class ProviderPublic(ProviderBase):
    id: int


class ReferralStatus(enum.StrEnum):
    OFFERED = "offered"
    WAITLISTED = "waitlisted"  # the provider is full this term
    CONSENTED = "consented"
    DECLINED = "declined"
    STARTED = "started"
    ENDED = "ended"
    WITHDRAWN = "withdrawn"


OPEN_REFERRALS = (
    ReferralStatus.OFFERED,
    ReferralStatus.WAITLISTED,
    ReferralStatus.CONSENTED,
    ReferralStatus.STARTED,
)
HOLDS_A_PLACE = (ReferralStatus.OFFERED, ReferralStatus.CONSENTED, ReferralStatus.STARTED, ReferralStatus.ENDED)


class Judgement(enum.StrEnum):
    IMPROVED = "improved"
    NO_CHANGE = "no_change"
    WORSE = "worse"


class ReferralBase(SQLModel):
    case_id: int = Field(foreign_key="case.id", index=True)
    school_urn: str = Field(index=True)
    pupil_id: str = Field(index=True)
    intervention: str = Field(index=True)
    provider_id: int | None = Field(None, foreign_key="provider.id", index=True)
    term: str = Field(index=True, description="The term whose places it takes, e.g. 2025/1-autumn")
    status: ReferralStatus = enum_text(ReferralStatus, index=True)
    reason: str = Field("", description="Why it was proposed or chosen")
    declined_reason: str | None = None
    judgement: Judgement | None = enum_text(Judgement, None, description="Staff's judgement of the outcome")
    outcome_note: str | None = None
    attendance_before: float | None = Field(None, description="Year-to-date attendance when it started")
    attendance_after: float | None = Field(None, description="Year-to-date attendance when it ended")
    referred_at: dt.datetime = timestamp(default_factory=utcnow)
    consented_at: dt.datetime | None = timestamp(default=None)
    declined_at: dt.datetime | None = timestamp(default=None)
    started_at: dt.datetime | None = timestamp(default=None)
    ended_at: dt.datetime | None = timestamp(default=None)


class Referral(ReferralBase, table=True):
    # Never a second open referral to the same intervention for one case.
    __table_args__ = (
        Index(
            "one_open_referral_per_intervention",
            "case_id",
            "intervention",
            unique=True,
            sqlite_where=text("status IN ('offered', 'waitlisted', 'consented', 'started')"),
            postgresql_where=text("status IN ('offered', 'waitlisted', 'consented', 'started')"),
        ),
    )
    __mapper_args__ = {"version_id_col": _REFERRAL_VERSION}
    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(1, sa_column=_REFERRAL_VERSION)


class ReferralPublic(ReferralBase):
    id: int
    version: int


class ProposalBase(SQLModel):
    case_id: int = Field(foreign_key="case.id", index=True)
    alert_id: str = Field(index=True)
    rank: int
    intervention: str
    provider_id: int | None = None
    reason: str
    waitlist: bool = False
    status: str = Field("proposed", description="proposed, accepted or dismissed")
    created_at: dt.datetime = timestamp(default_factory=utcnow)


class Proposal(ProposalBase, table=True):
    id: int | None = Field(default=None, primary_key=True)


class ProposalPublic(ProposalBase):
    id: int
