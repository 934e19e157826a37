"""The wire contract: one pydantic model per event, shared by producers and consumers.

JSON on the wire with `schema_version`; readers ignore unknown fields; within a
version only optional fields are added. Pupil ids are pseudonymous everywhere
except on `PupilIdentity`, which only the referrals service reads.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import os

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_event_id() -> str:
    """A random (version 4) UUID's 32 hex digits, as `uuid4().hex` gives: the same random bytes with the
    same version and variant bits, without building a UUID object first, which took 2-5 µs an id
    against about 1 µs. The risk engine makes one for every mark (its snapshot)."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # the RFC 4122 variant
    return raw.hex()


# The range a mark's date and recording time may take on the wire: wide enough for any real
# register, narrow enough that no consumer has to cope with year 0 or year 9999.
EARLIEST_MARK_DATE = dt.date(2000, 1, 1)
LATEST_MARK_DATE = dt.date(2199, 12, 31)


def pupil_key(school_urn: str, pupil_id: str) -> str:
    """A pupil's record is held per school (an enrolment): every store and topic keys it by both."""
    return f"{school_urn}|{pupil_id}"


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    schema_version: int = Field(1, description="Bumped only for incompatible changes")
    # Looked up at each call, so that a test can stand in for it.
    event_id: str = Field(default_factory=lambda: new_event_id(), description="Unique per event")
    occurred_at: AwareDatetime = Field(default_factory=utcnow, description="When the event was made (UTC)")

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


class Session(enum.StrEnum):
    AM = "AM"
    PM = "PM"


class AttendanceMark(Event):
    """One register mark. Identity is (school, pupil, date, session); the latest
    `recorded_at` wins, so a correction supersedes whatever order marks arrive in."""

    pupil_id: str = Field(description="Pseudonymous pupil id (keyed hash of the UPN)")
    school_urn: str = Field(description="The school's 6-digit URN")
    date: dt.date = Field(ge=EARLIEST_MARK_DATE, le=LATEST_MARK_DATE)
    session: Session
    code: str = Field(description="Statutory register code from shared/register_codes.toml")
    minutes_late: int | None = Field(None, description="Minutes late, for L and U")
    recorded_at: AwareDatetime = Field(description="When the MIS recorded this code")

    @field_validator("recorded_at")
    @classmethod
    def _recorded_in_range(cls, value: dt.datetime) -> dt.datetime:
        if not EARLIEST_MARK_DATE.year <= value.astimezone(dt.UTC).year <= LATEST_MARK_DATE.year:
            raise ValueError(f"recorded_at must fall in {EARLIEST_MARK_DATE.year}-{LATEST_MARK_DATE.year}")
        return value

    @property
    def session_key(self) -> str:
        """The slot this mark fills; a later mark for the same slot corrects it."""
        return f"{self.school_urn}|{self.date.isoformat()}|{self.session}"


class SenStatus(enum.StrEnum):
    NONE = "none"
    SEN_SUPPORT = "K"
    EHC_PLAN = "E"


class Characteristics(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    fsm: bool = False
    sen: SenStatus = SenStatus.NONE
    eal: bool = False
    child_in_need: bool = False
    child_protection: bool = False
    looked_after: bool = False
    young_carer: bool = False


class PupilContext(Event):
    """What the risk engine may know about a pupil: no name, UPN or birth date."""

    pupil_id: str
    school_urn: str
    year_group: int = Field(ge=-2, le=14, description="National curriculum year; R is 0, nursery -1/-2")
    admission_date: dt.date
    leaving_date: dt.date | None = None
    characteristics: Characteristics = Characteristics()
    area_code: str | None = Field(None, description="Area for place-based reporting, e.g. an LSOA code")


class PupilIdentity(Event):
    """Who the child is. Travels only on `pupil.identity`, read only by referrals."""

    pupil_id: str
    school_urn: str
    upn: str
    given_name: str
    family_name: str
    date_of_birth: dt.date


class ParentContact(BaseModel):
    model_config = ConfigDict(frozen=True)

    email: str | None = None
    mobile: str | None = Field(None, description="A UK mobile number")
    prefers: str = Field("sms", description="sms or email, where both are held")


class PupilContacts(Event):
    """How to reach a pupil's parents or carers about attendance, and whether they opted out.
    Travels only on `pupil.contacts`, read only by notifications."""

    pupil_id: str
    school_urn: str
    parents: list[ParentContact] = Field(default_factory=list, max_length=4)
    opted_out: bool = Field(False, description="The family asked not to get attendance messages")


class Term(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(description="autumn, spring or summer")
    start: dt.date
    end: dt.date
    half_term_start: dt.date | None = None
    half_term_end: dt.date | None = None


class SchoolCalendar(Event):
    school_urn: str
    academic_year: str = Field(description="e.g. 2025/26")
    terms: list[Term]
    closures: list[dt.date] = Field(default_factory=list, description="INSET days, bank holidays")


class ActivityKind(enum.StrEnum):
    CULTURAL_WORKSHOP = "cultural_workshop"
    TRIP = "trip"
    CLUB = "club"
    HOLIDAY_ACTIVITY = "holiday_activity"
    SPORT = "sport"
    OTHER = "other"


class Activity(Event):
    """An enrichment or out-of-school activity (seed targets 1.5 and 3.9): no pupil in it."""

    activity_id: str = Field(description="The publisher's own id for the activity, unique in the borough")
    name: str
    kind: ActivityKind
    provider_id: int | None = Field(None, description="The provider in casework's directory, if it is one")
    school_urn: str | None = Field(None, description="The school that runs it; None for borough-wide activities")
    area_code: str | None = None


class ActivityAttendance(Event):
    """Whether one pupil came to one session of an activity. Pseudonymous, keyed by enrolment."""

    activity_id: str
    pupil_id: str
    school_urn: str = Field(description="The pupil's school: participation is reported per enrolment")
    date: dt.date = Field(ge=EARLIEST_MARK_DATE, le=LATEST_MARK_DATE)
    attended: bool
    recorded_at: AwareDatetime = Field(description="When the register was taken; the latest wins")


class ParentMessageArm(enum.StrEnum):
    SENT = "sent"  # a message was due to the pupil's parents
    HELD_BACK = "held_back"  # the randomised comparison group: recorded, not sent
    OPTED_OUT = "opted_out"  # the family asked not to get these messages
    NO_CONTACT = "no_contact"  # the school holds no way to reach them


class ParentRoundEntry(Event):
    """A flagged pupil's place in a school's half-term round of messages to parents: the arm only,
    never the message, the days it stated or a contact. A round with a hold-back share above 0 was
    randomised, which is what lets the messages' effect be measured."""

    pupil_id: str
    school_urn: str
    half_term_start: dt.date = Field(description="The round: the first school day of the half-term")
    arm: ParentMessageArm
    hold_back_share: float = Field(ge=0.0, le=0.9, description="The share the school's plan held back at random")


class Transition(enum.StrEnum):
    RAISED = "raised"
    ESCALATED = "escalated"
    DE_ESCALATED = "de-escalated"
    RESOLVED = "resolved"

    @property
    def leaves_open(self) -> bool:
        return self is not Transition.RESOLVED


def alert_id_for(school_urn: str, pupil_id: str, rule: str, episode: int) -> str:
    """Deterministic, so a replay or duplicate can never open a second case; per school, because a
    pupil's episodes at one school are not their episodes at another."""
    return hashlib.sha256(f"{school_urn}|{pupil_id}|{rule}|{episode}".encode()).hexdigest()[:32]


class RiskAlert(Event):
    alert_id: str = Field(
        description="sha256(school, pupil, rule, episode); the same for every transition of an episode"
    )
    pupil_id: str
    school_urn: str
    rule: str
    episode: int = Field(ge=1)
    transition: Transition
    band: str | None = Field(None, description="The band the pupil's current rate is in, for the absence ladder")
    reasons: list[str] = Field(
        description="Plain-English reasons staff can read; never special-category or safeguarding detail"
    )
    figures: dict[str, float] = Field(description="The numbers behind the reasons")
    routes: list[str] = Field(default_factory=list, description="Default interventions for the rule")
    as_of: dt.date | None = Field(None, description="The school day the figures are as of (the evaluation date)")


class PupilAttendance(Event):
    """Compacted snapshot of a pupil's year-to-date figures."""

    pupil_id: str
    school_urn: str
    possible: int
    attended: int
    authorised: int
    unauthorised: int
    attendance_rate: float
    absence_rate: float
    last_date: dt.date | None
    risk_score: int | None = Field(None, description="0-100, from the explainable risk signals")


class ReferralEventKind(enum.StrEnum):
    CASE_OPENED = "case_opened"
    ALERT_LINKED = "alert_linked"
    STAGE_CHANGED = "stage_changed"
    LEAD_ASSIGNED = "lead_assigned"
    INTERVENTION_OFFERED = "intervention_offered"
    INTERVENTION_WAITLISTED = "intervention_waitlisted"
    INTERVENTION_CONSENTED = "intervention_consented"
    INTERVENTION_DECLINED = "intervention_declined"
    INTERVENTION_STARTED = "intervention_started"
    INTERVENTION_ENDED = "intervention_ended"
    INTERVENTION_WITHDRAWN = "intervention_withdrawn"
    CASE_CLOSED = "case_closed"


class ReferralEvent(Event):
    """A change in casework that another service or an evaluation needs. No notes, no names, no
    characteristics: what happened, to which case, and when (`occurred_at`)."""

    schema_version: int = Field(2, description="2: casework events; `alert_id` optional, `routes` gone")
    kind: ReferralEventKind
    case_id: int
    pupil_id: str
    school_urn: str
    alert_id: str | None = Field(None, description="The alert that opened or joined the case")
    rule: str | None = None
    stage: str | None = Field(None, description="The support stage the case moved to")
    lead_staff_id: int | None = None
    referral_id: int | None = None
    intervention: str | None = None
    provider_id: int | None = None
    declined_reason: str | None = None
    judgement: str | None = Field(None, description="Staff's judgement when an intervention ended")
    attendance_before: float | None = None
    attendance_after: float | None = None
    outcome: str | None = Field(None, description="A closed case's outcome")


class DeadLetter(Event):
    source_topic: str
    partition: int
    offset: int
    reason: str
    payload: str = Field(description="The undecodable bytes, decoded as UTF-8 with replacement")
