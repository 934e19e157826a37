"""Operations staff: the one role that may read the delivery log. Tokens hashed, expiring, revocable."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Header, HTTPException
from sqlalchemy import Engine
from sqlmodel import Field, Session, SQLModel, select

from shared.database import SessionDep
from shared.events import utcnow
from shared.tokens import bearer, hash_token, new_token, token_problem

DEFAULT_VALID_DAYS = 90


class Operator(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    token_hash: str = Field(unique=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None


def issue_operator_token(engine: Engine, name: str, valid_days: int = DEFAULT_VALID_DAYS) -> str:
    token, token_hash = new_token("ops_")
    with Session(engine) as session:
        session.add(Operator(name=name, token_hash=token_hash, expires_at=utcnow() + dt.timedelta(days=valid_days)))
        session.commit()
    return token


def revoke_operator(engine: Engine, name: str) -> int:
    with Session(engine) as session:
        rows = session.exec(select(Operator).where(Operator.name == name, Operator.revoked_at == None)).all()  # noqa: E711
        for row in rows:
            row.revoked_at = utcnow()
            session.add(row)
        session.commit()
        return len(rows)


def list_operators(engine: Engine) -> list[Operator]:
    with Session(engine) as session:
        return list(session.exec(select(Operator).order_by(Operator.name)))


def current_operator(session: SessionDep, authorization: Annotated[str | None, Header()] = None) -> Operator:
    token = bearer(authorization)
    if token is None:
        raise HTTPException(
            401, "send Authorization: Bearer <operations token>", headers={"WWW-Authenticate": "Bearer"}
        )
    operator = session.exec(select(Operator).where(Operator.token_hash == hash_token(token))).first()
    problem = token_problem(operator, utcnow())
    if problem:
        raise HTTPException(401, problem, headers={"WWW-Authenticate": "Bearer"})
    return operator


OperatorDep = Annotated[Operator, Depends(current_operator)]
