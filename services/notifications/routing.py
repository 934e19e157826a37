"""Who hears about an event, and when: the routes in who_hears.toml, checked against their schema.
Pure: the directory lookup that turns roles into people is intake's job."""

from __future__ import annotations

import enum
import tomllib
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.notifications.notices import Notice
from shared.events import ReferralEventKind, Transition

ROUTES_PATH = Path(__file__).with_name("who_hears.toml")
EVENTS = frozenset(
    [f"alert.{transition}" for transition in Transition] + [f"referral.{kind}" for kind in ReferralEventKind]
)


class RecipientRole(enum.StrEnum):
    ATTENDANCE_LEAD = "attendance_lead"
    HEAD_OF_YEAR = "head_of_year"
    SAFEGUARDING_LEAD = "safeguarding_lead"
    LEAD_PRACTITIONER = "lead_practitioner"
    PROVIDER_CONTACT = "provider_contact"
    LA_ATTENDANCE_OFFICER = "la_attendance_officer"
    CME_OFFICER = "cme_officer"

    @property
    def works_for_the_la(self) -> bool:
        return self in (RecipientRole.LA_ATTENDANCE_OFFICER, RecipientRole.CME_OFFICER)


class Timing(enum.StrEnum):
    """In order of urgency: a recipient reached by two routes hears at the more urgent one."""

    CRITICAL = "critical"  # at once, through quiet hours and holidays
    IMMEDIATE = "immediate"  # at once, outside quiet hours, on school days
    DIGEST = "digest"  # in the day's digest

    @property
    def urgency(self) -> int:
        return list(Timing).index(self)


class Route(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    events: tuple[str, ...] = Field(min_length=1)
    rules: tuple[str, ...] | None = Field(None, description="Alert rules matched; any rule when absent")
    bands: tuple[str, ...] | None = Field(None, description="Absence bands matched; any when absent")
    to: tuple[RecipientRole, ...] = Field(min_length=1)
    timing: Timing

    @field_validator("events")
    @classmethod
    def _known_events(cls, events: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(events) - EVENTS)
        if unknown:
            raise ValueError(f"unknown events {unknown}; known: {sorted(EVENTS)}")
        return events

    def matches(self, notice: Notice) -> bool:
        if notice.event not in self.events:
            return False
        if self.rules is not None and notice.rule not in self.rules:
            return False
        return self.bands is None or notice.band in self.bands


class WhoHears(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    routes: tuple[Route, ...] = Field(min_length=1)

    def addressees(self, notice: Notice) -> dict[RecipientRole, Timing]:
        """Each role the event goes to, at the most urgent timing of the routes that match."""
        chosen: dict[RecipientRole, Timing] = {}
        for route in self.routes:
            if route.matches(notice):
                for role in route.to:
                    if role not in chosen or route.timing.urgency < chosen[role].urgency:
                        chosen[role] = route.timing
        return chosen


def load_routes(path: Path) -> WhoHears:
    return WhoHears.model_validate(tomllib.loads(path.read_text()))


@cache
def who_hears() -> WhoHears:
    return load_routes(ROUTES_PATH)
