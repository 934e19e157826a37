"""A scratch database on the PostgreSQL at 127.0.0.1:5432 (`make postgres` starts one): made for one
test or benchmark, dropped after it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

SERVER = "postgresql://postgres@127.0.0.1:5432/test"


class PostgresUnavailable(RuntimeError):
    pass


@contextmanager
def scratch_database() -> Iterator[str]:
    """A SQLAlchemy URL of a new, empty database; PostgresUnavailable when no server answers."""
    try:
        admin = psycopg.connect(SERVER, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        raise PostgresUnavailable(f"no PostgreSQL reachable at 127.0.0.1:5432 ({type(error).__name__})") from error
    name = f"ews_scratch_{uuid.uuid4().hex[:12]}"
    admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        admin.close()
