"""Connector API keys: issued and revoked by an operator, stored only as hashes, scoped to schools."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, Engine
from sqlmodel import Field, Session, SQLModel, select

from shared.events import utcnow
from shared.tokens import hash_token, new_token

KEY_PREFIX = "ews_"


class ConnectorKey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, description="Who connects, e.g. 'wonde-redcar'; used as a metric label")
    key_hash: str = Field(unique=True)
    schools: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    created_at: dt.datetime = Field(default_factory=utcnow)
    revoked_at: dt.datetime | None = None


def issue_key(engine: Engine, name: str, schools: list[str]) -> str:
    """Store a new key's hash and return the key; it is shown once and cannot be recovered."""
    key, key_hash = new_token(KEY_PREFIX)
    with Session(engine) as session:
        session.add(ConnectorKey(name=name, key_hash=key_hash, schools=sorted(set(schools))))
        session.commit()
    return key


def revoke_key(engine: Engine, name: str) -> bool:
    with Session(engine) as session:
        row = session.exec(select(ConnectorKey).where(ConnectorKey.name == name)).first()
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = utcnow()
        session.add(row)
        session.commit()
        return True


def find_key(engine: Engine, key: str) -> ConnectorKey | None:
    """The live key matching `key`, or None if unknown or revoked."""
    with Session(engine) as session:
        row = session.exec(select(ConnectorKey).where(ConnectorKey.key_hash == hash_token(key))).first()
        return row if row is not None and row.revoked_at is None else None


def list_keys(engine: Engine) -> list[ConnectorKey]:
    with Session(engine) as session:
        return list(session.exec(select(ConnectorKey).order_by(ConnectorKey.name)))
