"""The registry of topics: every topic is created from here, and each has one writer."""

from __future__ import annotations

from dataclasses import dataclass

from shared import events


@dataclass(frozen=True)
class Topic:
    name: str
    value_type: type[events.Event]
    key_field: str
    writer: str
    compacted: bool = False
    pupil_scoped: bool = True
    partitions: int | None = None  # None: the shared pupil partition count (co-partitioning)

    def key_of(self, event: events.Event) -> bytes:
        return str(getattr(event, self.key_field)).encode()

    def partition_count(self, pupil_partitions: int) -> int:
        return self.partitions if self.partitions is not None else pupil_partitions

    def decode(self, raw: bytes) -> events.Event:
        return self.value_type.model_validate_json(raw)


MARKS = Topic("attendance.marks", events.AttendanceMark, "pupil_id", "ingest")
PUPIL_CONTEXT = Topic("pupil.context", events.PupilContext, "pupil_id", "ingest", compacted=True)
PUPIL_IDENTITY = Topic("pupil.identity", events.PupilIdentity, "pupil_id", "ingest", compacted=True)
SCHOOL_CALENDAR = Topic(
    "school.calendar", events.SchoolCalendar, "school_urn", "ingest", compacted=True, pupil_scoped=False, partitions=1
)
RISK_ALERTS = Topic("risk.alerts", events.RiskAlert, "pupil_id", "risk_engine")
PUPIL_ATTENDANCE = Topic("pupil.attendance", events.PupilAttendance, "pupil_id", "risk_engine", compacted=True)
REFERRAL_EVENTS = Topic("referral.events", events.ReferralEvent, "pupil_id", "referrals")
RISK_ENGINE_DLQ = Topic(
    "risk_engine.dlq", events.DeadLetter, "source_topic", "risk_engine", pupil_scoped=False, partitions=1
)
REFERRALS_DLQ = Topic("referrals.dlq", events.DeadLetter, "source_topic", "referrals", pupil_scoped=False, partitions=1)
NOTIFICATIONS_DLQ = Topic(
    "notifications.dlq", events.DeadLetter, "source_topic", "notifications", pupil_scoped=False, partitions=1
)

REGISTRY: tuple[Topic, ...] = (
    MARKS,
    PUPIL_CONTEXT,
    PUPIL_IDENTITY,
    SCHOOL_CALENDAR,
    RISK_ALERTS,
    PUPIL_ATTENDANCE,
    REFERRAL_EVENTS,
    RISK_ENGINE_DLQ,
    REFERRALS_DLQ,
    NOTIFICATIONS_DLQ,
)
