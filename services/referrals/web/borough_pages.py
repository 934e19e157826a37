"""The local authority's pages: the borough today, the impact evaluation and the children-missing-
education queue. LA roles only; a school's staff get a 403 page, as the API refuses them the borough."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlmodel import Session

from services.referrals.api.alerts import Urn
from services.referrals.api.oversight import cme_entries
from services.referrals.audit import audit
from services.referrals.insight import readings
from services.referrals.insight.evaluation import recent_evaluation
from services.referrals.web.borough_views import DIMENSION_TITLES, borough_page
from services.referrals.web.pages import SignedInDep, committed, staff_page
from shared.database import SessionDep
from shared.events import utcnow
from shared.time import school_today

router = APIRouter(include_in_schema=False)


def _as_of(session: Session, as_of: dt.date | None) -> dt.date:
    return as_of or readings.latest_day(session, school_today(utcnow()))


@router.get("/borough")
def borough(
    request: Request,
    session: SessionDep,
    signed: SignedInDep,
    school_urn: Annotated[Urn | None, Query()] = None,
    as_of: Annotated[dt.date | None, Query()] = None,
    suppressed: bool = False,
):
    signed.scope.require(signed.scope.borough, "see the borough's pages")
    schools = frozenset({school_urn}) if school_urn else None
    page = borough_page(request.app.state.insight_views, session, schools, _as_of(session, as_of), suppressed)
    audit(session, signed.scope, "view_borough", detail=f"school={school_urn or 'all'}")
    page = staff_page("borough.html", signed, page=page, active="borough", titles=DIMENSION_TITLES,
                      school_urn=school_urn)  # fmt: skip
    return committed(session, page)


@router.get("/borough/impact")
def impact(
    request: Request, session: SessionDep, signed: SignedInDep, as_of: Annotated[dt.date | None, Query()] = None
):
    signed.scope.require(signed.scope.borough, "see the borough's pages")
    day = _as_of(session, as_of)
    evaluation = recent_evaluation(request.app.state.insight_views, session, None, day)
    audit(session, signed.scope, "view_impact")
    return committed(session, staff_page("impact.html", signed, evaluation=evaluation, active="impact"))


@router.get("/borough/cme")
def cme_queue(session: SessionDep, signed: SignedInDep):
    signed.scope.require(signed.scope.borough, "see the children-missing-education queue")
    entries = cme_entries(session, signed.scope)
    return committed(session, staff_page("cme.html", signed, entries=entries, active="cme"))
