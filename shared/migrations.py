"""Alembic migrations for a service's database: run on start (open_database) and by `<service> migrate`.

Each service keeps its migrations beside its code (services/<name>/migrations/); every service's
SQLModel tables share one metadata in a process, so each migration environment compares only the
tables its service owns.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import SQLModel

from shared.database import EnumText, make_engine


def config(script_location: Path, connection=None) -> Config:
    alembic = Config()
    alembic.set_main_option("script_location", str(script_location))
    alembic.attributes["connection"] = connection
    return alembic


def upgrade(engine: Engine, script_location: Path, revision: str = "head") -> None:
    with engine.begin() as connection:
        command.upgrade(config(script_location, connection), revision)


def owned(tables: Iterable[type[SQLModel]]):
    """An include_object hook that keeps a migration environment to its service's own tables."""
    names = {table.__tablename__ for table in tables}

    def include(obj, name, type_, reflected, compare_to) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return table is None or table.name in names

    return include


def run_environment(tables: Iterable[type[SQLModel]]) -> None:
    """The body of a service's migrations/env.py: online, on the connection `upgrade` passes in."""
    from alembic import context

    context.configure(
        connection=context.config.attributes["connection"],
        target_metadata=SQLModel.metadata,
        include_object=owned(tables),
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def _render_item(type_: str, obj, autogen_context):
    """Write an enum stored as text (shared.database.EnumText) as the plain string column it is."""
    if type_ == "type" and isinstance(obj, EnumText):
        return "sqlmodel.sql.sqltypes.AutoString()"
    return False


def differences(engine: Engine, tables: Iterable[type[SQLModel]]) -> list:
    """What the database lacks or has beyond the models: empty when the migrations match them."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": owned(tables), "compare_type": True, "render_as_batch": True}
        )
        return compare_metadata(context, SQLModel.metadata)


def revision(service: str, message: str) -> None:
    """Write a new migration for `service` from the difference between its models and its latest
    migration (developers: `python -m shared.migrations <service> "what changed"`)."""
    import importlib
    import tempfile

    schema = importlib.import_module(f"services.{service}.schema")
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{scratch}/scratch.db")
        upgrade(engine, schema.MIGRATIONS)
        with engine.begin() as connection:
            command.revision(config(schema.MIGRATIONS, connection), message=message, autogenerate=True)
        engine.dispose()


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 3:
        sys.exit('usage: python -m shared.migrations <ingest|referrals|notifications> "what changed"')
    revision(sys.argv[1], sys.argv[2])
