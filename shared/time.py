"""Schools keep English time: "today" for a register is today in Europe/London."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SCHOOL_TIMEZONE = ZoneInfo("Europe/London")


def school_today(now: dt.datetime) -> dt.date:
    return school_now(now).date()


def school_now(now: dt.datetime) -> dt.datetime:
    """The time on a school's clock: a register's deadline is in school time."""
    return now.astimezone(SCHOOL_TIMEZONE)
