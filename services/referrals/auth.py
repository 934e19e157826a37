"""Who is asking, and what their role lets them see and do. Scopes fail closed: a school role without
a school, or a provider role without a provider, sees nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException
from sqlmodel import Session, select

from services.referrals.staff import Role, StaffMember
from shared.database import SessionDep
from shared.events import utcnow
from shared.problems import Forbidden
from shared.tokens import bearer, hash_token, token_problem

WRITERS = frozenset({Role.SCHOOL_STAFF, Role.DSL, Role.LA_ATTENDANCE_OFFICER, Role.LA_CME_OFFICER})
SENSITIVE_READERS = frozenset({Role.DSL, Role.LA_ATTENDANCE_OFFICER, Role.LA_CME_OFFICER})


@dataclass(frozen=True)
class Scope:
    """What one member of staff may see: `schools` None is the whole borough."""

    staff_id: int
    name: str
    role: Role
    schools: frozenset[str] | None
    provider_id: int | None = None

    def allows(self, school_urn: str) -> bool:
        return self.schools is None or school_urn in self.schools

    @property
    def reads_cases(self) -> bool:
        """Cases, alerts and who the child is; provider staff see only their referrals."""
        return self.role in WRITERS

    @property
    def writes_cases(self) -> bool:
        return self.role in WRITERS

    @property
    def reads_sensitive(self) -> bool:
        """Sensitive notes and the pupil's characteristics (special-category and safeguarding data)."""
        return self.role in SENSITIVE_READERS

    @property
    def borough(self) -> bool:
        return self.role.borough

    def require(self, allowed: bool, what: str) -> None:
        if not allowed:
            raise Forbidden(f"the {self.role} role may not {what}")


def scope_of(staff: StaffMember) -> Scope:
    role = Role(staff.role)  # a stored row holds the value; the enum knows what it allows
    if role.needs_school and not staff.school_urn:
        raise Forbidden(f"staff member {staff.id} has the {role} role but no school: nothing to show")
    if role.needs_provider and staff.provider_id is None:
        raise Forbidden(f"staff member {staff.id} has the {role} role but no provider: nothing to show")
    schools = None if role.borough else frozenset({staff.school_urn} if staff.school_urn else ())
    return Scope(staff.id, staff.name, role, schools, staff.provider_id)


def scope_for_token(session: Session, token: str) -> Scope:
    staff = session.exec(select(StaffMember).where(StaffMember.token_hash == hash_token(token))).first()
    problem = token_problem(staff, utcnow())
    if problem:
        raise HTTPException(401, problem, headers={"WWW-Authenticate": "Bearer"})
    return scope_of(staff)


def current_scope(session: SessionDep, authorization: Annotated[str | None, Header()] = None) -> Scope:
    token = bearer(authorization)
    if token is None:
        raise HTTPException(401, "send Authorization: Bearer <staff token>", headers={"WWW-Authenticate": "Bearer"})
    return scope_for_token(session, token)


ScopeDep = Annotated[Scope, Depends(current_scope)]
