"""Casework tables and their public shapes (Base / table / Public, so tables never leak into the API)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, Index, text
from sqlmodel import Field, SQLModel

from services.referrals.pupils import CurrentFigures
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
    raised_at: dt.datetime = Field(index=True)
    updated_at: dt.datetime


class Alert(AlertBase, table=True):
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)


class AlertPublic(AlertBase):
    case_id: int | None
    current: CurrentFigures | None = Field(None, description="The pupil's figures now, for an open alert")


OPEN_STATUSES = ("raised", "escalated", "de-escalated")


class CaseBase(SQLModel):
    pupil_id: str = Field(index=True)
    school_urn: str = Field(index=True)
    status: str = Field("open", description="open or closed")
    routes: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    opened_at: dt.datetime = Field(default_factory=utcnow)


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
    id: int | None = Field(default=None, primary_key=True)


class CasePublic(CaseBase):
    id: int
