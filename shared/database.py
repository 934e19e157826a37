"""Engines for a service's own database (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, Engine, TypeDecorator, event, tuple_
from sqlmodel import AutoString, Field, Session, create_engine, select


def make_engine(url: str) -> Engine:
    """Connect to a service's database; its tables come from its migrations (shared/migrations.py).

    Bound parameters are hidden from logs and error messages: a failing insert once printed a
    child's UPN, names and date of birth.
    """
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    return engine


def timestamp(**field_options: Any) -> Any:
    """A column for an aware UTC time: `timestamp with time zone` on PostgreSQL, text on SQLite."""
    return Field(sa_type=DateTime(timezone=True), **field_options)


class EnumText(TypeDecorator):
    """A StrEnum stored as its value ('offered'), not SQLAlchemy's default of its name: partial indexes
    and queries name values, a new value needs no ALTER TYPE on PostgreSQL, and rows read back hold
    the enum again."""

    impl = AutoString
    cache_ok = True

    def __init__(self, enum_type: type[enum.StrEnum]) -> None:
        super().__init__()
        self.enum_type = enum_type

    def process_bind_param(self, value, dialect):
        return None if value is None else str(value)

    def process_result_value(self, value, dialect):
        return None if value is None else self.enum_type(value)


def enum_text(enum_type: type[enum.StrEnum], *default: Any, **field_options: Any) -> Any:
    return Field(*default, sa_type=EnumText(enum_type), **field_options)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored time as an aware UTC datetime: SQLite hands back naive ones for what was written as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


KEYS_PER_QUERY = 250  # a few parameters each: well inside SQLite's and PostgreSQL's limits


def rows_with_keys(session: Session, columns: Sequence[Any], keys: Sequence[tuple]) -> Iterable[Any]:
    """The rows whose `columns` match any of `keys`, a few hundred keys a query: one look-up for a
    consumed batch instead of one a record."""
    model = columns[0].class_
    for start in range(0, len(keys), KEYS_PER_QUERY):
        yield from session.exec(select(model).where(tuple_(*columns).in_(keys[start : start + KEYS_PER_QUERY])))


def _sqlite_pragmas(connection, _record) -> None:
    # WAL lets the API read while the consumer writes.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def request_session(request: Request) -> Iterator[Session]:
    """One session per request, on the engine the app's lifespan put in `app.state.engine`."""
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(request_session)]
