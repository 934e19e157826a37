"""Alembic's environment for the referrals database (run by shared.migrations.upgrade)."""

from services.referrals.schema import TABLES
from shared.migrations import run_environment

run_environment(TABLES)
