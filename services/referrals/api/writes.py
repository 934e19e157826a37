"""What every write endpoint needs: Idempotency-Key on POSTs that create things, If-Match on changes
to a case or referral (a stale write is 412, not a lost change), and the audit entry."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import AfterValidator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Field, Session, SQLModel

from services.referrals.auth import Scope
from shared.database import timestamp
from shared.events import utcnow
from shared.problems import DomainError, PreconditionFailed
from shared.time import school_today

IdempotencyKey = Annotated[
    str | None,
    Header(max_length=200, description="Makes a retried POST safe: the same key and body give the same answer, once"),
]
IfMatch = Annotated[str | None, Header(description="The ETag of the version you read")]


def _not_after_today(day: dt.date | None) -> dt.date | None:
    if day is not None and day > school_today(utcnow()):
        raise ValueError(f"{day.isoformat()} is in the future")
    return day


OnDay = Annotated[
    dt.date | None,
    AfterValidator(_not_after_today),
    PydanticField(description="The day it happened, when recorded afterwards (default: today)"),
]


class IdempotencyRecord(SQLModel, table=True):
    staff_id: int = Field(primary_key=True)
    key: str = Field(primary_key=True)
    fingerprint: str
    status_code: int
    body: dict = Field(sa_column=Column(JSON))
    created_at: dt.datetime = timestamp(default_factory=utcnow)


class KeyReused(DomainError):
    status = 422


class PreconditionRequired(DomainError):
    status = 428


def idempotent(
    session: Session, scope: Scope, key: str | None, request: tuple[str, Any], work: Callable[[], tuple[int, Any]]
) -> JSONResponse:
    """Do `work` once per (staff member, key): a retry with the same request gets the first answer;
    the same key with another request is refused. Commits the work and its record together."""
    fingerprint = hashlib.sha256(json.dumps(jsonable_encoder(request), sort_keys=True).encode()).hexdigest()
    if key is not None:
        earlier = session.get(IdempotencyRecord, (scope.staff_id, key))
        if earlier is not None:
            if earlier.fingerprint != fingerprint:
                raise KeyReused(f"Idempotency-Key {key!r} was used for a different request")
            return JSONResponse(earlier.body, status_code=earlier.status_code)
    status, body = work()
    body = jsonable_encoder(body)
    if key is not None:
        session.add(
            IdempotencyRecord(staff_id=scope.staff_id, key=key, fingerprint=fingerprint, status_code=status, body=body)
        )
    commit(session)
    return JSONResponse(body, status_code=status)


def etag(kind: str, row_id: int, version: int) -> str:
    return f'"{kind}-{row_id}-v{version}"'


def check_if_match(if_match: str | None, current: str) -> None:
    if if_match is None:
        raise PreconditionRequired(f"send If-Match: {current} (the ETag of what you read) to change it")
    if if_match.strip() != current:
        raise PreconditionFailed(f"it changed since you read it (now {current}): read it again and redo your change")


def commit(session: Session) -> None:
    """Commit; two writers racing past If-Match meet the row version here."""
    try:
        session.commit()
    except StaleDataError as error:
        session.rollback()
        raise PreconditionFailed(
            "someone else changed it at the same moment: read it again and redo your change"
        ) from error
