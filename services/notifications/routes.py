"""The delivery log, for the operations team. It holds no personal data."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import select

from services.notifications.models import Delivery, DeliveryPublic
from shared.database import SessionDep

router = APIRouter(prefix="/v1")


@router.get("/deliveries", response_model=list[DeliveryPublic], summary="Messages sent, one row per message")
def deliveries(session: SessionDep, alert_id: str | None = None):
    query = select(Delivery).order_by(Delivery.id)
    if alert_id:
        query = query.where(Delivery.alert_id == alert_id)
    return session.exec(query).all()
