"""Alembic's environment for the notifications database (run by shared.migrations.upgrade)."""

from services.notifications.schema import TABLES
from shared.migrations import run_environment

run_environment(TABLES)
