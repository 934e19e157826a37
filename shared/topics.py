"""The registry of topics: every topic is created from here, and each has one writer."""

from __future__ import annotations

from dataclasses import dataclass

from shared import events

DAY_MS = 86_400_000
# Event streams keep a school year and a term, so last year's marks stay replayable while this
# year's arrive; a borough with a shorter schedule lowers it before creating the topics.
EVENT_RETENTION_DAYS = 400
# Dead letters wait for an operator to read and replay them, then expire.
DEAD_LETTER_RETENTION_DAYS = 90


@dataclass(frozen=True)
class Topic:
    name: str
    value_type: type[events.Event]
    key_fields: tuple[str, ...]  # joined with "|" into the record key
    writer: str
    compacted: bool = False
    pupil_scoped: bool = True
    partitions: int | None = None  # None: the shared pupil partition count (co-partitioning)
    retention_days: int = EVENT_RETENTION_DAYS  # event streams only: a compacted topic keeps each key's latest

    def broker_configs(self) -> dict[str, str]:
        """The topic's configuration on the broker: compaction, or deletion after its retention."""
        if self.compacted:
            return {"cleanup.policy": "compact"}
        return {"cleanup.policy": "delete", "retention.ms": str(self.retention_days * DAY_MS)}

    def key_of(self, event: events.Event) -> bytes:
        return "|".join(str(getattr(event, name)) for name in self.key_fields).encode()

    def partition_count(self, pupil_partitions: int) -> int:
        return self.partitions if self.partitions is not None else pupil_partitions

    def decode(self, raw: bytes) -> events.Event:
        return self.value_type.model_validate_json(raw)


# A pupil's record is an enrolment: every pupil-scoped topic is keyed "school|pupil", so a compacted
# topic keeps each school's record of a child who moved (or is dual registered), and all of one
# enrolment's events share a partition, in order.
PUPIL_KEY = ("school_urn", "pupil_id")

MARKS = Topic("attendance.marks", events.AttendanceMark, key_fields=PUPIL_KEY, writer="ingest")
PUPIL_CONTEXT = Topic("pupil.context", events.PupilContext, key_fields=PUPIL_KEY, writer="ingest", compacted=True)
PUPIL_IDENTITY = Topic("pupil.identity", events.PupilIdentity, key_fields=PUPIL_KEY, writer="ingest", compacted=True)
# Parents' contact details: only notifications reads this topic.
CONTACTS = Topic("pupil.contacts", events.PupilContacts, key_fields=PUPIL_KEY, writer="ingest", compacted=True)
SCHOOL_CALENDAR = Topic(
    "school.calendar",
    events.SchoolCalendar,
    key_fields=("school_urn",),
    writer="ingest",
    compacted=True,
    pupil_scoped=False,
    partitions=1,
)
RISK_ALERTS = Topic("risk.alerts", events.RiskAlert, key_fields=PUPIL_KEY, writer="risk_engine")
PUPIL_ATTENDANCE = Topic(
    "pupil.attendance", events.PupilAttendance, key_fields=PUPIL_KEY, writer="risk_engine", compacted=True
)
ACTIVITIES = Topic(
    "activities",
    events.Activity,
    key_fields=("activity_id",),
    writer="ingest",
    compacted=True,
    pupil_scoped=False,
    partitions=1,
)
ACTIVITY_ATTENDANCE = Topic("activity.attendance", events.ActivityAttendance, key_fields=PUPIL_KEY, writer="ingest")
REFERRAL_EVENTS = Topic("referral.events", events.ReferralEvent, key_fields=PUPIL_KEY, writer="referrals")
# One entry per pupil per round (a pupil is in many rounds, so not compacted); insight reads it.
PARENT_ROUNDS = Topic("parent.rounds", events.ParentRoundEntry, key_fields=PUPIL_KEY, writer="notifications")


def dead_letter_topic(service: str) -> Topic:
    return Topic(
        f"{service}.dlq",
        events.DeadLetter,
        key_fields=("source_topic",),
        writer=service,
        pupil_scoped=False,
        partitions=1,
        retention_days=DEAD_LETTER_RETENTION_DAYS,
    )


RISK_ENGINE_DLQ = dead_letter_topic("risk_engine")
REFERRALS_DLQ = dead_letter_topic("referrals")
NOTIFICATIONS_DLQ = dead_letter_topic("notifications")

REGISTRY: tuple[Topic, ...] = (
    MARKS,
    PUPIL_CONTEXT,
    PUPIL_IDENTITY,
    CONTACTS,
    SCHOOL_CALENDAR,
    RISK_ALERTS,
    PUPIL_ATTENDANCE,
    REFERRAL_EVENTS,
    PARENT_ROUNDS,
    ACTIVITIES,
    ACTIVITY_ATTENDANCE,
    RISK_ENGINE_DLQ,
    REFERRALS_DLQ,
    NOTIFICATIONS_DLQ,
)
