"""Every read and write of a pupil's record, and every refusal, with who, what and when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel

from services.referrals.auth import Scope
from shared.database import timestamp
from shared.events import utcnow


class AuditEntryBase(SQLModel):
    at: dt.datetime = timestamp(default_factory=utcnow, index=True)
    staff_id: int = Field(index=True)
    action: str
    outcome: str = Field("allowed", description="allowed, or refused (not found in the caller's scope)")
    school_urn: str | None = None
    pupil_id: str | None = Field(None, index=True, description="The pupil whose record was read or written")
    pupil_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON), description="Pupils shown by a list")
    detail: str = ""


class AuditEntry(AuditEntryBase, table=True):
    id: int | None = Field(default=None, primary_key=True)


class AuditEntryPublic(AuditEntryBase):
    id: int


def audit(
    session: Session,
    scope: Scope,
    action: str,
    *,
    outcome: str = "allowed",
    school_urn: str | None = None,
    pupil_id: str | None = None,
    pupil_ids: Iterable[str] = (),
    detail: str = "",
) -> None:
    """Add the entry to the session; the request commits it with its work (refusals commit alone)."""
    session.add(
        AuditEntry(
            staff_id=scope.staff_id,
            action=action,
            outcome=outcome,
            school_urn=school_urn,
            pupil_id=pupil_id,
            pupil_ids=sorted(set(pupil_ids)),
            detail=detail,
        )
    )
