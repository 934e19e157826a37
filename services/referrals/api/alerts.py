"""GET /v1/alerts: alerts in the caller's scope, each with the pupil's current figures."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import Field
from sqlmodel import Session, and_, or_, select

from services.referrals.audit import audit
from services.referrals.auth import Scope, ScopeDep
from services.referrals.casework.models import OPEN_STATUSES, Alert, AlertPublic
from services.referrals.pupils import CurrentFigures, PupilFigures
from shared.database import SessionDep, rows_with_keys
from shared.paging import ListQuery, Page, decode_cursor, next_url
from shared.problems import Forbidden

router = APIRouter(prefix="/v1")
Urn = Annotated[str, Field(pattern=r"^[0-9]{6}$")]


class AlertQuery(ListQuery):
    status: Literal["open", "raised", "escalated", "de-escalated", "resolved"] | None = None
    band: Literal["persistent_absence", "chronic_absence", "severe_absence"] | None = None
    rule: Annotated[str | None, Field(pattern=r"^[a-z0-9_]{1,64}$")] = None
    school_urn: Urn | None = None
    raised_from: dt.date | None = None
    raised_to: dt.date | None = None


@router.get("/alerts", response_model=Page[AlertPublic], summary="Alerts in your schools, oldest first")
def list_alerts(request: Request, session: SessionDep, scope: ScopeDep, query: Annotated[AlertQuery, Query()]):
    scope.require(scope.reads_cases, "read alerts")
    rows = session.exec(_alerts_query(scope, query)).all()
    figures = _current_figures(session, rows)
    items = [
        AlertPublic.model_validate(row, from_attributes=True).model_copy(
            update={"current": figures.get((row.school_urn, row.pupil_id)) if row.status in OPEN_STATUSES else None}
        )
        for row in rows
    ]
    audit(session, scope, "list_alerts", pupil_ids=(row.pupil_id for row in rows), detail=f"{len(rows)} alerts")
    session.commit()
    return Page(items=items, next=next_url(request, query, rows, lambda row: [row.raised_at.isoformat(), row.alert_id]))


def _alerts_query(scope: Scope, query: AlertQuery):
    statement = select(Alert).order_by(Alert.raised_at, Alert.alert_id).limit(query.limit)
    if query.school_urn and not scope.allows(query.school_urn):
        raise Forbidden(f"school {query.school_urn} is outside your schools")
    if scope.schools is not None:
        statement = statement.where(Alert.school_urn.in_(scope.schools))
    if query.school_urn:
        statement = statement.where(Alert.school_urn == query.school_urn)
    if query.status == "open":
        statement = statement.where(Alert.status.in_(OPEN_STATUSES))
    elif query.status:
        statement = statement.where(Alert.status == query.status)
    if query.band:
        statement = statement.where(Alert.band == query.band)
    if query.rule:
        statement = statement.where(Alert.rule == query.rule)
    if query.raised_from:
        statement = statement.where(Alert.raised_at >= dt.datetime.combine(query.raised_from, dt.time()))
    if query.raised_to:
        statement = statement.where(
            Alert.raised_at < dt.datetime.combine(query.raised_to + dt.timedelta(days=1), dt.time())
        )
    if query.cursor:
        raised_at, alert_id = decode_cursor(query.cursor, 2)
        after = dt.datetime.fromisoformat(raised_at)
        statement = statement.where(
            or_(Alert.raised_at > after, and_(Alert.raised_at == after, Alert.alert_id > alert_id))
        )
    return statement


def _current_figures(session: Session, rows: list[Alert]) -> dict[tuple[str, str], CurrentFigures]:
    keys = sorted({(row.school_urn, row.pupil_id) for row in rows})
    return {
        (f.school_urn, f.pupil_id): CurrentFigures.model_validate(f, from_attributes=True)
        for f in rows_with_keys(session, (PupilFigures.school_urn, PupilFigures.pupil_id), keys)
    }
