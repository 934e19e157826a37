"""Routing policy: from an alert, the pupil's year group and where places are free, the support to
propose, each with a reason staff can read. Pure; the policy is data (routing_policy.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.referrals.casework.catalogue import Catalogue, ProviderKind, catalogue

POLICY_PATH = Path(__file__).with_name("routing_policy.toml")
RULE_WORDS = {
    "persistent_absence": "persistent absence",
    "chronic_absence": "chronic absence",
    "severe_absence": "severe absence",
    "strong_attendance_decline": "strong attendance declining",
    "attendance_decline": "attendance falling in recent weeks",
    "first_week_absence": "absence in the first week of term",
    "unauthorised_10_in_10": "10 unauthorised sessions in 10 weeks",
    "missing_education": "absent without authorisation for 10 school days",
}


class When(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    band: str | None = None
    year_groups: tuple[int, int] | None = Field(None, description="First and last year group, inclusive")

    def matches(self, rule: str, band: str | None, year_group: int | None) -> bool:
        if self.rule != rule or (self.band is not None and self.band != band):
            return False
        if self.year_groups is None:
            return True
        return year_group is not None and self.year_groups[0] <= year_group <= self.year_groups[1]


class Route(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    when: When
    propose: tuple[str, ...] = Field(min_length=1)
    refer_at_once: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _at_once_is_proposed(self) -> Route:
        if not set(self.refer_at_once) <= set(self.propose):
            raise ValueError(f"refer_at_once {self.refer_at_once} must be among propose {self.propose}")
        return self


class RoutingPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    routes: tuple[Route, ...] = Field(min_length=1)

    def route_for(self, rule: str, band: str | None, year_group: int | None) -> Route | None:
        return next((route for route in self.routes if route.when.matches(rule, band, year_group)), None)

    def check_against(self, known: Catalogue) -> None:
        unknown = {code for route in self.routes for code in route.propose} - set(known.interventions)
        if unknown:
            raise ValueError(f"the routing policy names interventions not in the catalogue: {sorted(unknown)}")


def load_policy(path: Path = POLICY_PATH, known: Catalogue | None = None) -> RoutingPolicy:
    policy = RoutingPolicy.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    policy.check_against(known or catalogue())
    return policy


@cache
def policy() -> RoutingPolicy:
    return load_policy()


@dataclass(frozen=True)
class Situation:
    """What the proposal depends on, besides places."""

    rule: str
    band: str | None
    year_group: int | None
    school_urn: str
    area_code: str | None = None


@dataclass(frozen=True)
class Place:
    """A provider that can deliver an intervention to this pupil, and its places left this term."""

    provider_id: int
    provider_name: str
    kind: ProviderKind
    intervention: str
    places_left: int
    own_school: bool  # a provider that is the pupil's school itself


@dataclass(frozen=True)
class Proposal:
    intervention: str
    provider_id: int | None
    reason: str
    waitlist: bool  # no provider has a place: a referral now joins the waitlist
    refer_at_once: bool  # made without waiting for staff (children missing education)


def propose(
    situation: Situation, places: list[Place], open_interventions: set[str], *, routing: RoutingPolicy | None = None
) -> list[Proposal]:
    """Proposals in order: the route's preferences that have a place, then those that do not (for the
    waitlist). An intervention the case already has open is never proposed again."""
    routing = routing or policy()
    route = routing.route_for(situation.rule, situation.band, situation.year_group)
    if route is None:
        return []
    available, full = [], []
    for code in route.propose:
        if code in open_interventions:
            continue
        options = [place for place in places if place.intervention == code]
        best = _best_place(options)
        proposal = Proposal(
            intervention=code,
            provider_id=best.provider_id if best else None,
            reason=_reason(situation, code, best),
            waitlist=best is None or best.places_left <= 0,
            refer_at_once=code in route.refer_at_once,
        )
        (full if proposal.waitlist else available).append(proposal)
    return available + full


def _best_place(options: list[Place]) -> Place | None:
    """The school's own provider when it has a place, else whoever has most places; when all are
    full, the one a waitlist place is likeliest soonest (the largest)."""
    if not options:
        return None
    return max(options, key=lambda p: (p.places_left > 0, p.own_school and p.places_left > 0, p.places_left))


def _reason(situation: Situation, code: str, place: Place | None) -> str:
    what = RULE_WORDS.get(situation.band or situation.rule, situation.rule.replace("_", " "))
    year = f", year {situation.year_group}" if situation.year_group is not None else ""
    name = catalogue().get(code).name
    if place is None:
        return f"{what}{year}; no provider of {name.lower()} serves this school yet"
    where = "at this school" if place.own_school else f"with {place.provider_name}"
    if place.places_left <= 0:
        return f"{what}{year}; {name.lower()} is full {where}: the pupil would join its waitlist"
    plural = "place" if place.places_left == 1 else "places"
    return f"{what}{year}, {name.lower()} has {place.places_left} {plural} {where}"
