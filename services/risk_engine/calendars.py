"""Every school's calendar, on every worker: a side input read from school.calendar.

Calendars are school-scoped and few, so each worker reads the whole (one-partition)
topic without a consumer group instead of sharing it through a partitioned table.
"""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaConsumer
from pydantic import ValidationError

from services.risk_engine import metrics
from shared.calendar import SchoolDays
from shared.events import SchoolCalendar
from shared.settings import KafkaSettings
from shared.topics import SCHOOL_CALENDAR

log = logging.getLogger(__name__)


class Calendars:
    def __init__(self) -> None:
        self._by_school: dict[str, dict[str, SchoolCalendar]] = {}
        self._days: dict[str, SchoolDays] = {}

    def add(self, calendar: SchoolCalendar) -> None:
        self._by_school.setdefault(calendar.school_urn, {})[calendar.academic_year] = calendar
        self._days[calendar.school_urn] = SchoolDays.from_calendars(list(self._by_school[calendar.school_urn].values()))

    def days(self, school_urn: str) -> SchoolDays:
        days = self._days.get(school_urn)
        if days is None:
            days = self._days[school_urn] = SchoolDays()  # weekday fallback until its calendar arrives
        return days

    async def follow(self, kafka: KafkaSettings) -> None:
        consumer = AIOKafkaConsumer(
            SCHOOL_CALENDAR.name,
            bootstrap_servers=kafka.bootstrap_servers,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            fetch_max_wait_ms=500,  # calendars change rarely: no need to poll the broker 50 times a second
        )
        await consumer.start()
        try:
            while True:
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    for record in records:
                        try:
                            self.add(SchoolCalendar.model_validate_json(record.value))
                        except ValidationError:
                            metrics.DEAD_LETTERS.labels(SCHOOL_CALENDAR.name).inc()
                            log.warning("skipped an undecodable calendar", extra={"offset": record.offset})
        finally:
            await consumer.stop()
