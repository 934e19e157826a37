"""The delivery log, for the operations role only, paged. It names no pupil."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import Field
from sqlmodel import select

from services.notifications.models import Delivery, DeliveryPublic, DeliveryStatus
from services.notifications.operators import OperatorDep
from shared.database import SessionDep
from shared.paging import ListQuery, Page, decode_cursor, next_url

router = APIRouter(prefix="/v1")


class DeliveryQuery(ListQuery):
    alert_id: Annotated[str | None, Field(pattern=r"^[0-9a-f]{32}$")] = None
    status: DeliveryStatus | None = None


@router.get("/deliveries", response_model=Page[DeliveryPublic], summary="Messages, one row per delivery, oldest first")
def deliveries(request: Request, session: SessionDep, _: OperatorDep, query: Annotated[DeliveryQuery, Query()]):
    statement = select(Delivery).order_by(Delivery.id).limit(query.limit)
    if query.alert_id:
        statement = statement.where(Delivery.alert_id == query.alert_id)
    if query.status:
        statement = statement.where(Delivery.status == query.status)
    if query.cursor:
        (after,) = decode_cursor(query.cursor, 1)
        statement = statement.where(Delivery.id > int(after))
    rows = session.exec(statement).all()
    items = [DeliveryPublic.model_validate(row, from_attributes=True) for row in rows]
    return Page(items=items, next=next_url(request, query, rows, lambda row: [row.id]))
