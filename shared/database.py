"""Engines for a service's own database (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, Engine, TypeDecorator, event
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
        # psycopg prepares a statement after five runs, and PostgreSQL may then plan it once for any
        # values; a page's look-up of hundreds of pupils' sessions went from 110 ms to 250 ms that way.
        options = {"options": "-c plan_cache_mode=force_custom_plan"} if "+psycopg" in url else {}
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, connect_args=options)
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


KEYS_PER_QUERY = 250


def rows_with_keys(
    session: Session, columns: Sequence[Any], keys: Sequence[tuple], *also: Any, reading: Sequence[Any] = ()
) -> Iterable[Any]:
    """The rows whose `columns` match any of `keys` (and the conditions `also`), a few hundred keys a
    query: one look-up for a consumed batch or a page instead of one a record. Whole model objects, or
    tuples of the columns `reading`, which must start with `columns` (much cheaper by the thousand).

    Each column is matched with its own IN list and the exact keys are picked out here: SQLite scans
    the whole table for a row-value IN, but walks the primary key for per-column INs."""
    what = select(*reading) if reading else select(columns[0].class_)
    key_of = (lambda row: tuple(row[: len(columns)])) if reading else (lambda row: _key(row, columns))
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = set(keys[start : start + KEYS_PER_QUERY])
        matching = [column.in_({key[n] for key in chunk}) for n, column in enumerate(columns)]
        yield from (row for row in session.exec(what.where(*matching, *also)) if key_of(row) in chunk)


def _key(row: Any, columns: Sequence[Any]) -> tuple:
    return tuple(getattr(row, column.key) for column in columns)


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
