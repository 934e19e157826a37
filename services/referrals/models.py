"""Referrals tables and their public shapes. Only this service reads this database."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.events import utcnow


class Role(enum.StrEnum):
    SCHOOL_STAFF = "school_staff"
    LA_OFFICER = "la_officer"


class AlertBase(SQLModel):
    alert_id: str = Field(primary_key=True)
    pupil_id: str = Field(index=True)
    school_urn: str = Field(index=True)
    rule: str
    episode: int
    status: str = Field(description="raised, escalated or resolved: the latest transition")
    band: str | None = None
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    figures: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON))
    raised_at: dt.datetime
    updated_at: dt.datetime


class Alert(AlertBase, table=True):
    case_id: int | None = Field(default=None, foreign_key="case.id")


class AlertPublic(AlertBase):
    case_id: int | None


class CaseBase(SQLModel):
    pupil_id: str = Field(index=True)
    school_urn: str = Field(index=True)
    status: str = Field("open", description="open or closed")
    routes: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    opened_at: dt.datetime = Field(default_factory=utcnow)


class Case(CaseBase, table=True):
    id: int | None = Field(default=None, primary_key=True)


class CasePublic(CaseBase):
    id: int


class PupilIdentity(SQLModel, table=True):
    pupil_id: str = Field(primary_key=True)
    school_urn: str
    upn: str
    given_name: str
    family_name: str
    date_of_birth: dt.date


class StaffMember(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    role: Role
    school_urn: str | None = Field(None, description="Required for school staff; None for LA officers")
    token_hash: str = Field(unique=True)


class AuditEntry(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow)
    staff_id: int = Field(foreign_key="staffmember.id")
    action: str
    pupil_id: str | None = Field(None, index=True)
    detail: str = ""


class Outbox(SQLModel, table=True):
    """Events written in the same transaction as the change they describe, published after commit."""

    __table_args__ = (UniqueConstraint("dedupe_key"),)
    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str
    topic: str
    key: str
    payload: str
    published: bool = Field(False, index=True)
