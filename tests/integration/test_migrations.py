"""Each service's migrations take an empty database to a schema that matches its models exactly, on
SQLite and on PostgreSQL; nothing in production creates tables any other way."""

import importlib

import pytest
from sqlalchemy import inspect

from shared.database import make_engine
from shared.migrations import differences, upgrade
from tests.databases import database

SERVICES = ("ingest", "referrals", "notifications")


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
@pytest.mark.parametrize("service", SERVICES)
def test_migrations_build_exactly_the_models(tmp_path, kind, service):
    schema = importlib.import_module(f"services.{service}.schema")
    with database(kind, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine, schema.MIGRATIONS)
        assert differences(engine, schema.TABLES) == []
        tables = set(inspect(engine).get_table_names())
        assert {table.__tablename__ for table in schema.TABLES} | {"alembic_version"} == tables
        upgrade(engine, schema.MIGRATIONS)  # running again on start is a no-op
        engine.dispose()
