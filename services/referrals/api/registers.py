"""Daily reconciliation for the operations team: each school's registers today (or another day)
against the pupils on roll. Counts only, no pupil: operations and LA roles see every school, school
roles their own, providers none."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.referrals.auth import Scope, ScopeDep
from services.referrals.reconciliation.gaps import Reconciliation, SchoolSession
from services.referrals.reconciliation.readings import reconciliation_as_of_now
from services.referrals.staff import Role
from shared.database import SessionDep
from shared.problems import Forbidden

router = APIRouter(prefix="/v1/registers", tags=["operations"])


def schools_seen(scope: Scope, school_urn: str | None) -> frozenset[str] | None:
    if scope.borough or scope.role is Role.OPERATIONS:
        return frozenset({school_urn}) if school_urn else None
    scope.require(scope.role.needs_school, "read the registers' reconciliation")
    if school_urn and not scope.allows(school_urn):
        raise Forbidden(f"school {school_urn} is outside your schools")
    return scope.schools


@router.get(
    "/reconciliation",
    summary="Each school's registers against the pupils on roll who could attend, and which are overdue",
    description="A session is overdue when a school day's register has no mark at all after its deadline "
    "(REFERRALS_REGISTER_DEADLINE_AM / _PM, school time).",
)
def reconciliation(
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    date: Annotated[dt.date | None, Query(description="The day (default today, school time)")] = None,
    school_urn: Annotated[str | None, Query(pattern=r"^[0-9]{6}$", description="One school")] = None,
    gaps_only: Annotated[bool, Query(description="Only school-sessions with a pupil unmarked")] = False,
) -> dict:
    schools = schools_seen(scope, school_urn)
    result = reconciliation_as_of_now(session, request.app.state.settings.register_deadlines, date, schools)
    return {
        "date": result.date.isoformat(),
        "sessions": [as_row(result, s) for s in (result.gaps if gaps_only else result.sessions)],
    }


def as_row(result: Reconciliation, school: SchoolSession) -> dict:
    overdue = (school.school_urn, school.session) in result.overdue
    return {**dataclasses.asdict(school), "unmarked": school.unmarked, "overdue": overdue}
