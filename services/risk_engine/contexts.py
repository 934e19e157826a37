"""What the engine reads besides a pupil's marks: rules, the school's calendar, characteristics,
the seasonal reference of the pupil's cohort, and how far ahead a mark may be dated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial

from services.risk_engine.calendars import Calendars
from services.risk_engine.cohorts import Cohorts
from services.risk_engine.engine import Context
from services.risk_engine.settings import Settings
from services.risk_engine.tables import Enrolled, PupilContexts
from shared.codes import CodeTable, current_table
from shared.events import pupil_key, utcnow
from shared.time import school_today


class Contexts:
    def __init__(
        self,
        settings: Settings,
        calendars: Calendars,
        enrolled: PupilContexts,
        now: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.table: CodeTable = current_table()
        self.cohorts = Cohorts()
        self._settings, self._calendars, self._enrolled, self._now = settings, calendars, enrolled, now

    def latest_allowed(self) -> dt.date:
        """The last date a mark may carry: today in England plus the configured allowance."""
        today = school_today(self._now())
        return today + dt.timedelta(days=self._settings.future_days_allowed)

    def enrolled(self, school_urn: str, pupil_id: str) -> Enrolled | None:
        return self._enrolled.read(pupil_key(school_urn, pupil_id))

    def for_enrolment(self, school_urn: str, enrolled: Enrolled | None) -> Context:
        year_group = enrolled.year_group if enrolled else None
        return Context(
            table=self.table,
            thresholds=self._settings.thresholds,
            days=self._calendars.days(school_urn),
            characteristics=enrolled.characteristics if enrolled else None,
            alerts_from=self._settings.alerts_from,
            seasonal=partial(self.cohorts.change, school_urn, year_group),
        )
