"""Borough insight for integrations: today's figures, the weekly trend, the seed KPIs and the impact
evaluation. LA roles see the borough (or one school) and may ask for the suppressed version they
would publish; school roles see only their own school, always suppressed; nobody else sees any."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from services.referrals.api.alerts import Urn
from services.referrals.audit import audit
from services.referrals.auth import Scope, ScopeDep
from services.referrals.insight import readings
from services.referrals.insight.borough import recent_borough_view
from services.referrals.insight.evaluation import recent_evaluation
from services.referrals.insight.seed_kpis import recent_seed_kpis
from services.referrals.insight.suppression import is_small
from services.referrals.insight.trends import trend
from shared.database import SessionDep
from shared.events import utcnow
from shared.problems import Forbidden
from shared.time import school_today

router = APIRouter(prefix="/v1/insight", tags=["insight"])


class InsightQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    school_urn: Urn | None = Field(None, description="One school; LA roles only see the borough without it")
    as_of: dt.date | None = Field(
        None, description="The day the figures are for (default: today, or the last day with marks if earlier)"
    )
    suppressed: bool = Field(False, description="Small numbers suppressed, as published (always, for schools)")


@dataclasses.dataclass(frozen=True)
class InsightScope:
    schools: frozenset[str] | None
    suppressed: bool
    as_of: dt.date


def insight_scope(session: Session, scope: Scope, query: InsightQuery) -> InsightScope:
    """What this person may see of the figures asked for."""
    as_of = query.as_of or readings.latest_day(session, school_today(utcnow()))
    if scope.borough:
        schools = frozenset({query.school_urn}) if query.school_urn else None
        return InsightScope(schools, query.suppressed, as_of)
    scope.require(scope.reads_cases and scope.schools is not None, "read borough insight")
    if query.school_urn and not scope.allows(query.school_urn):
        raise Forbidden(f"school {query.school_urn} is outside your schools")
    return InsightScope(scope.schools, True, as_of)


def _answer(session: Session, scope: Scope, what: str, seen: InsightScope, result) -> dict:
    audit(session, scope, f"read_insight_{what}", detail=f"schools={sorted(seen.schools or ['borough'])}")
    session.commit()
    return dataclasses.asdict(result)


InsightQueryDep = Annotated[InsightQuery, Query()]


@router.get(
    "/borough",
    summary="Attendance, persistent and severe absence today, by school, area, year and group",
    description="Counted again at most once a minute (`counted_at` says when; REFERRALS_INSIGHT_CACHE_SECONDS).",
)
def borough(request: Request, session: SessionDep, scope: ScopeDep, query: InsightQueryDep) -> dict:
    seen = insight_scope(session, scope, query)
    view = recent_borough_view(request.app.state.insight_views, session, seen.schools, seen.as_of, seen.suppressed)
    return _answer(session, scope, "borough", seen, view)


@router.get("/trends", summary="Weekly attendance this year against last year and the national figure")
def trends(session: SessionDep, scope: ScopeDep, query: InsightQueryDep) -> dict:
    seen = insight_scope(session, scope, query)
    return _answer(session, scope, "trends", seen, trend(session, seen.schools, seen.as_of))


@router.get(
    "/kpis",
    summary="The seed KPIs: support within 10 school days (3.3), enrichment participation (1.5, 3.9)",
    description="Counted again at most once a minute, like the borough view.",
)
def kpis(request: Request, session: SessionDep, scope: ScopeDep, query: InsightQueryDep) -> dict:
    seen = insight_scope(session, scope, query)
    figures = recent_seed_kpis(request.app.state.insight_views, session, seen.schools, seen.as_of)
    return _answer(session, scope, "kpis", seen, figures)


@router.get("/impact", summary="Each intervention's effect on attendance against matched pupils, with caveats")
def impact(request: Request, session: SessionDep, scope: ScopeDep, query: InsightQueryDep) -> dict:
    seen = insight_scope(session, scope, query)
    evaluation = recent_evaluation(request.app.state.insight_views, session, seen.schools, seen.as_of)
    if seen.suppressed:  # a group of fewer than 5 pairs gives no estimate, and its count is a small number
        messages = evaluation.parent_messages
        messages = dataclasses.replace(messages, rows=[row for row in messages.rows if not is_small(row.pupils)])
        evaluation = dataclasses.replace(
            evaluation, rows=[row for row in evaluation.rows if not is_small(row.pairs)], parent_messages=messages
        )
    return _answer(session, scope, "impact", seen, evaluation)
