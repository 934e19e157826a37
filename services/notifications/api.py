"""The operations API: the delivery log (paged, naming no pupil), resending, the recipient
directory, schools' parent-message plans and their rounds (counts only), and the endpoint GOV.UK
Notify posts delivery receipts to."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from services.notifications import delivery_log
from services.notifications.directory import NewRecipient, add_recipient, remove_recipient
from services.notifications.models import (
    Channel,
    Delivery,
    DeliveryPublic,
    DeliveryStatus,
    ParentPlan,
    ParentRound,
    Recipient,
)
from services.notifications.operators import OperatorDep
from services.notifications.parent_rounds import NewParentPlan, save_plan
from services.notifications.routing import RecipientRole
from shared.database import SessionDep
from shared.paging import ListQuery, Page, decode_cursor, next_url
from shared.tokens import bearer

router = APIRouter(prefix="/v1")


class DeliveryQuery(ListQuery):
    status: DeliveryStatus | None = None
    channel: Channel | None = None


@router.get("/deliveries", response_model=Page[DeliveryPublic], summary="Messages, one row per delivery, oldest first")
def deliveries(request: Request, session: SessionDep, _: OperatorDep, query: Annotated[DeliveryQuery, Query()]):
    statement = select(Delivery).order_by(Delivery.id).limit(query.limit)
    if query.status:
        statement = statement.where(Delivery.status == query.status)
    if query.channel:
        statement = statement.where(Delivery.channel == query.channel)
    return _page_by_id(request, session, query, statement, Delivery.id, DeliveryPublic)


@router.post("/deliveries/{delivery_id}/resend", response_model=DeliveryPublic, summary="Send a failed delivery again")
def resend(delivery_id: int, session: SessionDep, _: OperatorDep):
    return DeliveryPublic.model_validate(delivery_log.resend(session, delivery_id), from_attributes=True)


class RecipientQuery(ListQuery):
    school_urn: Annotated[str | None, Field(pattern=r"^\d{6}$")] = None
    role: RecipientRole | None = None


class RecipientPublic(NewRecipient):
    id: int
    active: bool


@router.get("/recipients", response_model=Page[RecipientPublic], summary="The directory, active entries")
def recipients(request: Request, session: SessionDep, _: OperatorDep, query: Annotated[RecipientQuery, Query()]):
    statement = select(Recipient).where(Recipient.active).order_by(Recipient.id).limit(query.limit)
    if query.school_urn:
        statement = statement.where(Recipient.school_urn == query.school_urn)
    if query.role:
        statement = statement.where(Recipient.role == query.role)
    return _page_by_id(request, session, query, statement, Recipient.id, RecipientPublic)


@router.post("/recipients", response_model=RecipientPublic, status_code=201, summary="Add someone to the directory")
def new_recipient(entry: NewRecipient, session: SessionDep, _: OperatorDep):
    return RecipientPublic.model_validate(add_recipient(session, entry), from_attributes=True)


@router.delete("/recipients/{recipient_id}", status_code=204, summary="Take someone out of the directory")
def delete_recipient(recipient_id: int, session: SessionDep, _: OperatorDep) -> None:
    remove_recipient(session, recipient_id)


@router.put("/parent-plans/{school_urn}", response_model=ParentPlan, summary="A school's half-term parent messages")
def put_parent_plan(
    school_urn: Annotated[str, Path(pattern=r"^\d{6}$")], plan: NewParentPlan, session: SessionDep, _: OperatorDep
):
    return save_plan(session, school_urn, plan)


@router.get("/parent-rounds", response_model=list[ParentRound], summary="Each school's rounds: counts by arm")
def parent_rounds(session: SessionDep, _: OperatorDep):
    return session.exec(select(ParentRound).order_by(ParentRound.half_term_start, ParentRound.school_urn)).all()


def _page_by_id(request: Request, session: Session, query: ListQuery, statement, id_column, public: type) -> Page:
    """One page of rows in id order, after the cursor's id."""
    if query.cursor:
        (after,) = decode_cursor(query.cursor, 1)
        statement = statement.where(id_column > int(after))
    rows = session.exec(statement).all()
    items = [public.model_validate(row, from_attributes=True) for row in rows]
    return Page(items=items, next=next_url(request, query, rows, lambda row: [row.id]))


class NotifyReceipt(BaseModel):
    """The fields of Notify's delivery receipt this service uses; the rest are ignored."""

    id: str = Field(max_length=100)
    reference: str | None = Field(None, max_length=200)
    status: str = Field(max_length=50)


@router.post("/notify/callback", status_code=204, summary="GOV.UK Notify's delivery receipts")
def notify_callback(
    receipt: NotifyReceipt, request: Request, session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    expected = request.app.state.notify.callback_token
    token = bearer(authorization)
    if expected is None or token is None or not hmac.compare_digest(token, expected.get_secret_value()):
        raise HTTPException(401, "send Authorization: Bearer <the callback token set in Notify>")
    delivery_log.record_receipt(session, reference=receipt.reference, channel_id=receipt.id, status=receipt.status)
