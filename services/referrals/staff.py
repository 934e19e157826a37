"""Staff members and their bearer tokens: stored hashed, expiring, revocable.

Sign-in through the school's identity provider replaces tokens for people at a browser;
tokens stay for integrations and the CLI.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Engine
from sqlmodel import Field, Session, SQLModel, select

from shared.database import enum_text
from shared.events import utcnow
from shared.tokens import new_token

DEFAULT_VALID_DAYS = 90


class Role(enum.StrEnum):
    SCHOOL_STAFF = "school_staff"  # their school's pupils and cases
    DSL = "designated_safeguarding_lead"  # their school's, and sensitive notes and characteristics
    PROVIDER_STAFF = "provider_staff"  # only the pupils referred to their provider, only what they need
    LA_ATTENDANCE_OFFICER = "la_attendance_officer"  # the borough
    LA_CME_OFFICER = "la_cme_officer"  # the borough, and the children-missing-education queue
    OPERATIONS = "operations"  # metrics and health; no pupil data

    @property
    def needs_school(self) -> bool:
        return self in (Role.SCHOOL_STAFF, Role.DSL)

    @property
    def needs_provider(self) -> bool:
        return self is Role.PROVIDER_STAFF

    @property
    def borough(self) -> bool:
        return self in (Role.LA_ATTENDANCE_OFFICER, Role.LA_CME_OFFICER)


class StaffMember(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(description="Who this is, for the audit log")
    email: str | None = Field(None, unique=True, description="How the school's identity provider names them")
    role: Role = enum_text(Role)
    school_urn: str | None = Field(None, description="Required for school roles; None for borough roles")
    provider_id: int | None = Field(None, description="Required for provider staff: whose referrals they see")
    token_hash: str = Field(unique=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None


def add_staff(
    engine: Engine,
    name: str,
    role: Role,
    school_urn: str | None,
    *,
    provider_id: int | None = None,
    email: str | None = None,
    valid_days: int = DEFAULT_VALID_DAYS,
) -> str:
    """Create a staff member and return their token; only its hash is stored."""
    if role.needs_school and not school_urn:
        raise ValueError(f"{role} needs a school URN")
    if role.needs_provider and provider_id is None:
        raise ValueError(f"{role} needs a provider")
    token, token_hash = new_token()
    with Session(engine) as session:
        session.add(
            StaffMember(
                name=name,
                email=email.lower() if email else None,
                role=role,
                school_urn=school_urn if role.needs_school else None,
                provider_id=provider_id if role.needs_provider else None,
                token_hash=token_hash,
                expires_at=utcnow() + dt.timedelta(days=valid_days),
            )
        )
        session.commit()
    return token


def revoke_staff(engine: Engine, name: str) -> int:
    """Revoke every live token of the staff member(s) with this name; returns how many."""
    with Session(engine) as session:
        rows = session.exec(select(StaffMember).where(StaffMember.name == name, StaffMember.revoked_at.is_(None))).all()
        for row in rows:
            row.revoked_at = utcnow()
            session.add(row)
        session.commit()
        return len(rows)


def list_staff(engine: Engine) -> list[StaffMember]:
    with Session(engine) as session:
        return list(session.exec(select(StaffMember).order_by(StaffMember.name, StaffMember.id)))
