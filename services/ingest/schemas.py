"""What connectors send. Each field checks itself so one 422 can list every bad row.

Checks that depend on the date (nothing dated after today, recordings not ahead of the clock)
read a `Clock` from the validation context, so they are exact in tests and in production.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.codes import current_table
from shared.events import EARLIEST_MARK_DATE, ActivityKind, SenStatus, Session, utcnow
from shared.text import safe_text
from shared.time import SCHOOL_TIMEZONE, school_today
from shared.upn import normalise_upn, upn_problem

MAX_ROWS = 5_000  # per request, for every endpoint that takes rows; connectors chunk to it
RECORDED_AHEAD = dt.timedelta(minutes=5)  # MIS clocks drift; a recording further ahead is wrong
RECORDED_BEFORE = dt.timedelta(days=365)  # a register is not taken a year before its day


@dataclass(frozen=True)
class Clock:
    """What "now" means for one request."""

    now: dt.datetime
    future_days_allowed: int = 0

    @property
    def today(self) -> dt.date:
        return school_today(self.now)

    @property
    def latest_date(self) -> dt.date:
        return self.today + dt.timedelta(days=self.future_days_allowed)

    @classmethod
    def of(cls, info: ValidationInfo) -> Clock:
        context = info.context or {}
        return context.get("clock") or cls(utcnow())


def _valid_upn(upn: str) -> str:
    problem = upn_problem(upn)
    if problem:
        raise ValueError(problem)
    return upn


def _upn_text(value: object) -> object:
    return normalise_upn(value) if isinstance(value, str) else value


def _known_code(code: str) -> str:
    current_table().lookup(code)  # raises with what replaced a retired code
    return code


SchoolUrn = Annotated[
    str, StringConstraints(pattern=r"^[0-9]{6}$"), Field(description="6-digit URN", examples=["123456"])
]
Upn = Annotated[
    str,
    BeforeValidator(_upn_text),
    AfterValidator(_valid_upn),
    Field(description="13-character UPN (digits in any script are read as ASCII digits)", examples=["X823401225001"]),
]
RegisterCode = Annotated[str, AfterValidator(_known_code), Field(description="2024 register code", examples=["N"])]


def register_date(value: dt.date, info: ValidationInfo) -> dt.date:
    """A register's date: not before 2000 and not after today (Europe/London), plus any allowance."""
    clock = Clock.of(info)
    if value < EARLIEST_MARK_DATE:
        raise ValueError(f"dates before {EARLIEST_MARK_DATE.isoformat()} are not register dates")
    if value > clock.latest_date:
        raise ValueError(
            f"{value.isoformat()} is after today ({clock.today.isoformat()}, Europe/London)"
            + (f" plus {clock.future_days_allowed} day(s)" if clock.future_days_allowed else "")
        )
    return value


def recording_time(value: dt.datetime, info: ValidationInfo) -> dt.datetime:
    """When a register was taken: not ahead of our clock, and not a year before its `date`."""
    clock = Clock.of(info)
    if value > clock.now + RECORDED_AHEAD:
        raise ValueError(f"recorded more than 5 minutes ahead of our clock ({clock.now.isoformat()})")
    day = info.data.get("date")
    if day is not None:
        earliest = dt.datetime.combine(day, dt.time(), tzinfo=SCHOOL_TIMEZONE) - RECORDED_BEFORE
        if value < earliest:
            raise ValueError(f"recorded over a year before the session's date ({day.isoformat()})")
    return value


RegisterDate = Annotated[
    dt.date,
    AfterValidator(register_date),
    Field(description="The session's date: from 2000-01-01 to today (Europe/London)"),
]


class MarkIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "school_urn": "123456",
                    "upn": "X823401225001",
                    "date": "2025-09-08",
                    "session": "AM",
                    "code": "N",
                    "recorded_at": "2025-09-08T09:05:00Z",
                }
            ]
        },
    )

    school_urn: SchoolUrn
    upn: Upn
    date: RegisterDate
    session: Session
    code: RegisterCode
    minutes_late: int | None = Field(None, ge=0, le=600)
    recorded_at: Annotated[AwareDatetime, AfterValidator(recording_time)] = Field(
        description="When the MIS recorded the code; the latest wins. At most 5 minutes ahead of our clock, "
        "and not more than a year before the session's date."
    )


class Accepted(BaseModel):
    accepted: int = Field(description="Records the broker acknowledged")


class CharacteristicsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fsm: bool = Field(False, description="Eligible for free school meals")
    sen: SenStatus = Field(SenStatus.NONE, description="none, K (SEN support) or E (EHC plan)")
    eal: bool = Field(False, description="English as an additional language")
    child_in_need: bool = False
    child_protection: bool = False
    looked_after: bool = False
    young_carer: bool = False


class PupilIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "school_urn": "123456",
                    "upn": "X823401225001",
                    "given_name": "Maya",
                    "family_name": "Patel",
                    "date_of_birth": "2012-04-17",
                    "year_group": 8,
                    "admission_date": "2023-09-04",
                    "characteristics": {"fsm": True, "sen": "K"},
                    "area_code": "E01012004",
                }
            ]
        },
    )

    school_urn: SchoolUrn
    upn: Upn
    given_name: safe_text(100)
    family_name: safe_text(100)
    date_of_birth: dt.date
    year_group: int = Field(ge=-2, le=14, description="National curriculum year; reception is 0")
    admission_date: dt.date
    leaving_date: dt.date | None = None
    characteristics: CharacteristicsIn = CharacteristicsIn()
    area_code: safe_text(20) | None = Field(None, description="LSOA or locality code, for place-based reporting")

    @field_validator("date_of_birth")
    @classmethod
    def _born_already(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        today = Clock.of(info).today
        if value > today:
            raise ValueError(f"{value.isoformat()} is after today ({today.isoformat()})")
        return value

    @field_validator("admission_date")
    @classmethod
    def _admitted_after_birth(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        born = info.data.get("date_of_birth")
        if born is not None and born >= value:
            raise ValueError(f"admission_date {value.isoformat()} is not after date_of_birth {born.isoformat()}")
        return value

    @field_validator("leaving_date")
    @classmethod
    def _left_after_admission(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        admitted = info.data.get("admission_date")
        if value is not None and admitted is not None and value < admitted:
            raise ValueError(f"leaving_date {value.isoformat()} is before admission_date {admitted.isoformat()}")
        return value


ActivityId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
    Field(description="The publisher's id for the activity: letters, digits, . _ -", examples=["ART-2026-01"]),
]


class ActivityIn(BaseModel):
    """An enrichment or out-of-school activity; a later row with the same id replaces the earlier one."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "activity_id": "ART-2026-01",
                    "name": "Saturday art workshop",
                    "kind": "cultural_workshop",
                    "school_urn": "123456",
                    "area_code": "E01012004",
                }
            ]
        },
    )

    activity_id: ActivityId
    name: safe_text(120)
    kind: ActivityKind
    provider_id: int | None = Field(None, ge=1, description="The provider's id in casework, if it is one")
    school_urn: SchoolUrn | None = Field(None, description="The school that runs it; omit for borough-wide ones")
    area_code: safe_text(20) | None = None


class ActivityAttendanceIn(BaseModel):
    """One pupil at one session of an activity: came or did not."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "activity_id": "ART-2026-01",
                    "school_urn": "123456",
                    "upn": "X823401225001",
                    "date": "2025-10-04",
                    "attended": True,
                    "recorded_at": "2025-10-04T12:30:00Z",
                }
            ]
        },
    )

    activity_id: ActivityId
    school_urn: SchoolUrn = Field(description="The pupil's school")
    upn: Upn
    date: RegisterDate
    attended: bool
    recorded_at: Annotated[AwareDatetime, AfterValidator(recording_time)] = Field(
        description="When the register was taken; the latest wins (same limits as a mark's)"
    )


TERM_ORDER = ("autumn", "spring", "summer")


MOBILE = r"^(\+44\s?7\d{3}|07\d{3})\s?\d{3}\s?\d{3}$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class ParentContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, Field(max_length=254, pattern=EMAIL)] | None = None
    mobile: Annotated[str, Field(pattern=MOBILE, description="A UK mobile number")] | None = None
    prefers: Literal["sms", "email"] = "sms"

    @model_validator(mode="after")
    def _reachable(self) -> ParentContactIn:
        if self.email is None and self.mobile is None:
            raise ValueError("a contact needs an email or a mobile number")
        return self


class ContactsIn(BaseModel):
    """How to reach a pupil's parents or carers about attendance; replaces what was sent before."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "school_urn": "123456",
                    "upn": "X823401225001",
                    "parents": [{"mobile": "07700 900123", "prefers": "sms"}, {"email": "carer@example.com"}],
                    "opted_out": False,
                }
            ]
        },
    )

    school_urn: SchoolUrn
    upn: Upn
    parents: list[ParentContactIn] = Field(default_factory=list, max_length=4)
    opted_out: bool = Field(False, description="The family asked not to get attendance messages")


class TermIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Literal["autumn", "spring", "summer"]
    start: dt.date
    end: dt.date
    half_term_start: dt.date | None = None
    half_term_end: dt.date | None = None

    @model_validator(mode="after")
    def _inside_term(self) -> TermIn:
        if self.end < self.start:
            raise ValueError(f"{self.name} term ends before it starts")
        if (self.half_term_start is None) != (self.half_term_end is None):
            raise ValueError("give both half_term_start and half_term_end, or neither")
        if self.half_term_start and not (self.start <= self.half_term_start <= self.half_term_end <= self.end):
            raise ValueError(f"{self.name} half-term must fall inside the term, start before end")
        return self


class CalendarIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "school_urn": "123456",
                    "academic_year": "2025/26",
                    "terms": [
                        {"name": "autumn", "start": "2025-09-03", "end": "2025-12-19",
                         "half_term_start": "2025-10-27", "half_term_end": "2025-10-31"},
                        {"name": "spring", "start": "2026-01-05", "end": "2026-03-27"},
                        {"name": "summer", "start": "2026-04-13", "end": "2026-07-21"},
                    ],
                    "closures": ["2025-11-24", "2026-05-04"],
                }
            ]
        },
    )  # fmt: skip

    school_urn: SchoolUrn
    academic_year: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}/[0-9]{2}$"), Field(examples=["2025/26"])]
    terms: list[TermIn] = Field(min_length=1, max_length=3, description="autumn, spring and summer, in that order")
    closures: list[dt.date] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _terms_in_order(self) -> CalendarIn:
        first = int(self.academic_year[:4])
        if int(self.academic_year[5:]) != (first + 1) % 100:
            raise ValueError(f"academic_year {self.academic_year!r} should be {first}/{(first + 1) % 100:02d}")
        names = [term.name for term in self.terms]
        if names != sorted(set(names), key=TERM_ORDER.index):
            raise ValueError(f"terms must be autumn, spring, summer, each once and in that order; got {names}")
        for before, after in zip(self.terms, self.terms[1:], strict=False):
            if after.start <= before.end:
                raise ValueError(f"{after.name} term starts before {before.name} term ends")
        year_start, year_end = dt.date(first, 8, 1), dt.date(first + 1, 8, 31)
        if not (year_start <= self.terms[0].start and self.terms[-1].end <= year_end):
            raise ValueError(f"terms must fall between 1 August {first} and 31 August {first + 1}")
        outside = [day.isoformat() for day in self.closures if not year_start <= day <= year_end]
        if outside:
            raise ValueError(f"closures outside the academic year {self.academic_year}: {', '.join(outside)}")
        return self
