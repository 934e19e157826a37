"""Alembic's environment for the ingest database (run by shared.migrations.upgrade)."""

from services.ingest.schema import TABLES
from shared.migrations import run_environment

run_environment(TABLES)
