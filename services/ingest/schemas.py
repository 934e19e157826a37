"""What connectors send. Each field checks itself so one 422 can list every bad row."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from shared.codes import current_table
from shared.events import Session
from shared.upn import upn_problem


def _valid_upn(upn: str) -> str:
    problem = upn_problem(upn)
    if problem:
        raise ValueError(problem)
    return upn


def _known_code(code: str) -> str:
    current_table().lookup(code)  # raises with what replaced a retired code
    return code


SchoolUrn = Annotated[str, StringConstraints(pattern=r"^\d{6}$"), Field(description="6-digit URN", examples=["123456"])]
Upn = Annotated[str, AfterValidator(_valid_upn), Field(description="13-character UPN", examples=["A823401225001"])]
RegisterCode = Annotated[str, AfterValidator(_known_code), Field(description="2024 register code", examples=["N"])]


class MarkIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "school_urn": "123456",
                    "upn": "A823401225001",
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
    accepted: int = Field(description="Marks the broker acknowledged")
