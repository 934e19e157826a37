"""Staff bearer tokens, stored hashed, and what each role may see."""

from __future__ import annotations

import hashlib
import secrets
from typing import Annotated

from fastapi import Depends, Header, HTTPException
from sqlalchemy import Engine
from sqlmodel import Session, select

from services.referrals.models import Role, StaffMember
from shared.database import SessionDep


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_staff(engine: Engine, name: str, role: Role, school_urn: str | None) -> str:
    """Create a staff member and return their token; only its hash is stored."""
    if role is Role.SCHOOL_STAFF and not school_urn:
        raise ValueError("school staff need a school URN")
    token = secrets.token_urlsafe(32)
    with Session(engine) as session:
        session.add(StaffMember(name=name, role=role, school_urn=school_urn, token_hash=hash_token(token)))
        session.commit()
    return token


def current_staff(session: SessionDep, authorization: Annotated[str | None, Header()] = None) -> StaffMember:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "send Authorization: Bearer <staff token>", headers={"WWW-Authenticate": "Bearer"})
    staff = session.exec(select(StaffMember).where(StaffMember.token_hash == hash_token(token))).first()
    if staff is None:
        raise HTTPException(401, "unknown staff token", headers={"WWW-Authenticate": "Bearer"})
    return staff


StaffDep = Annotated[StaffMember, Depends(current_staff)]


def visible_schools(staff: StaffMember) -> str | None:
    """The one school this member of staff may see, or None for all schools (LA officers)."""
    return None if staff.role is Role.LA_OFFICER else staff.school_urn
