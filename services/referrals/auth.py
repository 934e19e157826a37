"""Who is asking, and what they may see. Scopes fail closed: a school role without a school sees nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException
from sqlmodel import select

from services.referrals.staff import Role, StaffMember
from shared.database import SessionDep
from shared.events import utcnow
from shared.problems import Forbidden
from shared.tokens import bearer, hash_token, token_problem


@dataclass(frozen=True)
class Scope:
    """The schools a member of staff may see: None for the whole borough."""

    staff_id: int
    role: Role
    schools: frozenset[str] | None

    def allows(self, school_urn: str) -> bool:
        return self.schools is None or school_urn in self.schools


def scope_of(staff: StaffMember) -> Scope:
    if staff.role.needs_school:
        if not staff.school_urn:
            raise Forbidden(f"staff member {staff.id} has the {staff.role} role but no school: nothing to show")
        return Scope(staff.id, staff.role, frozenset({staff.school_urn}))
    return Scope(staff.id, staff.role, None)


def current_scope(session: SessionDep, authorization: Annotated[str | None, Header()] = None) -> Scope:
    token = bearer(authorization)
    if token is None:
        raise HTTPException(401, "send Authorization: Bearer <staff token>", headers={"WWW-Authenticate": "Bearer"})
    staff = session.exec(select(StaffMember).where(StaffMember.token_hash == hash_token(token))).first()
    problem = token_problem(staff, utcnow())
    if problem:
        raise HTTPException(401, problem, headers={"WWW-Authenticate": "Bearer"})
    return scope_of(staff)


ScopeDep = Annotated[Scope, Depends(current_scope)]
