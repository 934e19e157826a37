"""What connectors send. Each field checks itself so one 422 can list every bad row."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shared.codes import current_table
from shared.events import SenStatus, Session
from shared.upn import upn_problem

MAX_ROWS = 5_000  # per request, for every endpoint that takes rows; connectors chunk to it


def _valid_upn(upn: str) -> str:
    problem = upn_problem(upn)
    if problem:
        raise ValueError(problem)
    return upn


def _known_code(code: str) -> str:
    current_table().lookup(code)  # raises with what replaced a retired code
    return code


SchoolUrn = Annotated[str, StringConstraints(pattern=r"^\d{6}$"), Field(description="6-digit URN", examples=["123456"])]
Upn = Annotated[str, AfterValidator(_valid_upn), Field(description="13-character UPN", examples=["X823401225001"])]
RegisterCode = Annotated[str, AfterValidator(_known_code), Field(description="2024 register code", examples=["N"])]


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
    date: dt.date
    session: Session
    code: RegisterCode
    minutes_late: int | None = Field(None, ge=0, le=600)
    recorded_at: AwareDatetime = Field(description="When the MIS recorded the code; the latest wins")


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
    given_name: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
    family_name: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
    date_of_birth: dt.date
    year_group: int = Field(ge=-2, le=14, description="National curriculum year; reception is 0")
    admission_date: dt.date
    leaving_date: dt.date | None = None
    characteristics: CharacteristicsIn = CharacteristicsIn()
    area_code: str | None = Field(None, max_length=20, description="LSOA or locality code, for place-based reporting")

    @model_validator(mode="after")
    def _dates_in_order(self) -> PupilIn:
        if self.leaving_date and self.leaving_date < self.admission_date:
            raise ValueError("leaving_date is before admission_date")
        if self.date_of_birth >= self.admission_date:
            raise ValueError("date_of_birth must be before admission_date")
        return self


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
    academic_year: Annotated[str, StringConstraints(pattern=r"^\d{4}/\d{2}$"), Field(examples=["2025/26"])]
    terms: list[TermIn] = Field(min_length=1, max_length=6)
    closures: list[dt.date] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _terms_in_order(self) -> CalendarIn:
        first = int(self.academic_year[:4])
        if int(self.academic_year[5:]) != (first + 1) % 100:
            raise ValueError(f"academic_year {self.academic_year!r} should be {first}/{(first + 1) % 100:02d}")
        for before, after in zip(self.terms, self.terms[1:], strict=False):
            if after.start <= before.end:
                raise ValueError(f"{after.name} term starts before {before.name} term ends")
        if not (dt.date(first, 8, 1) <= self.terms[0].start and self.terms[-1].end <= dt.date(first + 1, 8, 31)):
            raise ValueError(f"terms must fall between 1 August {first} and 31 August {first + 1}")
        return self
