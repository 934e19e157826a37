"""A fresh database per test: a SQLite file, or a scratch database on the PostgreSQL at
127.0.0.1:5432 (`make postgres` starts one), skipped with the reason where none is reachable."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from infra.local.scratch_postgres import PostgresUnavailable, scratch_database


@contextmanager
def postgres_database() -> Iterator[str]:
    try:
        with scratch_database() as url:
            yield url
    except PostgresUnavailable as error:
        pytest.skip(f"{error}; the SQLite tests still ran")


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "postgresql":
        with postgres_database() as url:
            yield url
    else:
        yield f"sqlite:///{folder / f'{uuid.uuid4().hex[:8]}.db'}"
