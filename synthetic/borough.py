"""Schools and pupils with the characteristics that drive absence nationally.

Each pupil gets an absence propensity: a lognormal draw (most pupils rarely miss
school, a long tail misses a lot) scaled by phase, year group, FSM and SEN in the
proportions DfE reports. On top, the generator plants populations the rules should
find or must cope with, each a parameter of the pupil (the evaluation's ground truth):

- decliners: strong attenders whose absence climbs from a day of the year, in one of
  four shapes (a gradual slide, a sudden step, a slide in year 8 after the move to
  secondary, a slide in a school whose whole roll is strongly seasonal);
- missing education: a run of unauthorised absence in every session for weeks;
- an unauthorised pattern: absence that is mostly unexplained or holidays;
- late joiners (admitted during the year) and dual-registered pupils (one day a week
  at another school, marked D);
- enrichment participants (off unless the calibration asks, as the demo does): pupils who join an
  activity on a day of the year, more often those who miss more school, and whose absence
  propensity falls by a planted share from that day (the impact evaluation's ground truth).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from dataclasses import dataclass

from shared.events import Characteristics, SenStatus
from shared.upn import make_upn
from synthetic.calendar import academic_year, school_days

GIVEN = ["Amir", "Bella", "Callum", "Daisy", "Ethan", "Freya", "Grace", "Harry", "Isla", "Jack", "Leo", "Maya"]
FAMILY = ["Ahmed", "Brown", "Clarke", "Davies", "Evans", "Green", "Hughes", "Khan", "Lewis", "Patel", "Smith", "Wood"]
LA_CODE = 807  # Redcar and Cleveland, where the seed documents come from
AREAS = [f"E0101{n:04d}" for n in range(2000, 2012)]


@dataclass(frozen=True)
class Calibration:
    """Tuned so the borough lands near England 2023/24: absence 7.1%, PA 20%, SA 2.3%."""

    median_propensity: float = 0.029
    spread: float = 1.05
    fsm_share: float = 0.25
    fsm_factor: float = 1.9
    sen_support_share: float = 0.13
    sen_support_factor: float = 1.5
    ehc_share: float = 0.03
    ehc_factor: float = 1.8
    secondary_factor: float = 1.35
    primary_factor: float = 0.85
    key_stage_4_factor: float = 1.15
    decliner_share: float = 0.03  # of strong attenders
    seasonal_school_every: int = 5  # every fifth school has a strongly seasonal roll
    missing_share: float = 0.005
    unauthorised_pattern_share: float = 0.01
    late_joiner_share: float = 0.02
    dual_registered_share: float = 0.01
    # School days of the year a decline may start: after the October half-term, so that a strong
    # baseline exists in the year's own marks (earlier when last year's marks are loaded).
    decline_onset: tuple[int, int] = (36, 120)
    # Enrichment: the share of pupils who join an activity (of those missing 10% or more: the targeted
    # share), and how much their absence propensity falls from the day they join.
    enrichment_share: float = 0.0
    enrichment_targeted_share: float = 0.0
    enrichment_effect: float = 0.3


# The planted shapes of decline.
GRADUAL, STEP, AFTER_TRANSITION, SEASONAL_SCHOOL = "gradual slide", "sudden step", "after transition", "seasonal school"


@dataclass(frozen=True)
class DeclinePlan:
    shape: str
    onset_day: int  # school-day index of the year the decline starts
    peak: float  # the absence propensity it climbs to
    ramp_days: int  # school days from onset to peak (1 for a step)

    def propensity(self, base: float, day_index: int) -> float:
        if day_index < self.onset_day:
            return base
        progress = min(1.0, (day_index - self.onset_day + 1) / self.ramp_days)
        return base + (self.peak - base) * progress


@dataclass(frozen=True)
class EnrichmentPlan:
    activity: int  # which of the school's activities
    joins_on_day: int  # school-day index of the first session they come to
    effect: float  # the share by which their absence propensity falls from then

    def propensity(self, base: float, day_index: int) -> float:
        return base * (1 - self.effect) if day_index >= self.joins_on_day else base


@dataclass(frozen=True)
class School:
    urn: str
    name: str
    phase: str  # primary | secondary
    seasonal: bool = False  # absence climbs far more from autumn to summer than elsewhere


@dataclass(frozen=True)
class Pupil:
    upn: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    school_urn: str
    year_group: int
    admission_date: dt.date
    characteristics: Characteristics
    area_code: str
    propensity: float  # the share of sessions the pupil would miss before any planted change
    decline: DeclinePlan | None = None
    missing_from: int | None = None  # school-day index a missing-education run starts
    missing_days: int = 0
    unauthorised_pattern: bool = False
    dual_registered_weekday: int | None = None  # 0 Monday .. 4 Friday: at the other school
    joins_on_day: int = 0  # school-day index of the first day on roll
    enrichment: EnrichmentPlan | None = None

    @property
    def decliner(self) -> bool:
        return self.decline is not None


def school_urns(schools: int) -> list[str]:
    return [f"{110000 + index * 7:06d}" for index in range(schools)]


def make_borough(
    seed: int, schools: int, pupils_per_school: int, start_year: int = 2025, calibration: Calibration = Calibration()
) -> tuple[list[School], list[Pupil]]:
    rng = random.Random(seed)
    school_list = [
        School(
            urn=f"{110000 + index * 7:06d}",
            name=f"School {index + 1}",
            phase="secondary" if index % 3 == 2 else "primary",
            seasonal=index % calibration.seasonal_school_every == calibration.seasonal_school_every - 1,
        )
        for index in range(schools)
    ]
    pupils = []
    for index, school in enumerate(school_list):
        for serial in range(pupils_per_school):
            pupils.append(_pupil(rng, school, 4000 + index, serial, start_year, calibration))
    if calibration.enrichment_share or calibration.enrichment_targeted_share:
        pupils = _with_enrichment(random.Random(f"{seed}:enrichment"), pupils, calibration)
    return school_list, pupils


ACTIVITIES_PER_SCHOOL = 3


def _with_enrichment(rng: random.Random, pupils: list[Pupil], c: Calibration) -> list[Pupil]:
    """Plant participants with their own random stream, so every other planted figure stays put."""
    planted = []
    for pupil in pupils:
        share = c.enrichment_targeted_share if pupil.propensity >= 0.10 else c.enrichment_share
        if rng.random() < share and pupil.joins_on_day == 0:
            plan = EnrichmentPlan(rng.randrange(ACTIVITIES_PER_SCHOOL), rng.randint(25, 110), c.enrichment_effect)
            pupil = dataclasses.replace(pupil, enrichment=plan)
        planted.append(pupil)
    return planted


def _pupil(
    rng: random.Random, school: School, establishment: int, serial: int, start_year: int, c: Calibration
) -> Pupil:
    year_group = rng.randint(7, 11) if school.phase == "secondary" else rng.randint(1, 6)
    fsm = rng.random() < c.fsm_share
    roll = rng.random()
    sen = (
        SenStatus.EHC_PLAN
        if roll < c.ehc_share
        else SenStatus.SEN_SUPPORT
        if roll < c.ehc_share + c.sen_support_share
        else SenStatus.NONE
    )
    factor = c.secondary_factor if school.phase == "secondary" else c.primary_factor
    factor *= c.fsm_factor if fsm else 1.0
    factor *= {SenStatus.EHC_PLAN: c.ehc_factor, SenStatus.SEN_SUPPORT: c.sen_support_factor}.get(sen, 1.0)
    factor *= c.key_stage_4_factor if year_group >= 9 else 1.0
    propensity = min(0.95, c.median_propensity * math.exp(rng.gauss(0, c.spread)) * factor)
    declines = rng.random() < c.decliner_share / 0.5 and propensity < 0.03  # always drawn: seeds stay put
    decline = _decline(rng, school, year_group, c.decline_onset) if declines else None
    plants, propensity = _other_plants(rng, c, propensity) if decline is None else ({}, propensity)
    if rng.random() < c.dual_registered_share:
        plants["dual_registered_weekday"] = rng.randrange(5)
    joins = rng.randint(10, 120) if not (decline or plants) and rng.random() < c.late_joiner_share else 0
    birth_year = start_year - year_group - 5
    return Pupil(
        upn=make_upn(LA_CODE, establishment, start_year - year_group, serial),
        given_name=rng.choice(GIVEN),
        family_name=rng.choice(FAMILY),
        date_of_birth=dt.date(birth_year, rng.randint(1, 12), rng.randint(1, 28)),
        school_urn=school.urn,
        year_group=year_group,
        admission_date=school_days(*academic_year(start_year))[joins][0] if joins else dt.date(start_year, 9, 1),
        characteristics=Characteristics(
            fsm=fsm,
            sen=sen,
            eal=rng.random() < 0.12,
            child_in_need=rng.random() < 0.03,
            child_protection=rng.random() < 0.01,
            looked_after=rng.random() < 0.007,
            young_carer=rng.random() < 0.02,
        ),
        area_code=rng.choice(AREAS),
        propensity=propensity,
        decline=decline,
        joins_on_day=joins,
        **plants,
    )


def _other_plants(rng: random.Random, c: Calibration, propensity: float) -> tuple[dict, float]:
    """A missing-education run or an unauthorised pattern (which sets a moderate propensity), or neither."""
    roll = rng.random()
    if roll < c.missing_share:
        return {"missing_from": rng.randint(15, 150), "missing_days": rng.randint(12, 35)}, propensity
    if roll < c.missing_share + c.unauthorised_pattern_share:
        return {"unauthorised_pattern": True}, max(propensity, rng.uniform(0.06, 0.12))
    return {}, propensity


def _decline(rng: random.Random, school: School, year_group: int, onset: tuple[int, int]) -> DeclinePlan:
    """A decline starting within `onset` (after transition: in the autumn) to between a fifth and
    two-fifths of sessions missed: a slide that, left alone, makes the pupil persistently absent."""
    if school.seasonal:
        shape = SEASONAL_SCHOOL
    elif year_group == 8:
        shape = AFTER_TRANSITION
    else:
        shape = rng.choice((GRADUAL, STEP))
    first, last = onset
    start = rng.randint(first, first + 30) if shape == AFTER_TRANSITION else rng.randint(first, last)
    ramp = 1 if shape == STEP else rng.randint(40, 90)  # a slide takes half a term to a term and a half
    return DeclinePlan(shape, onset_day=start, peak=rng.uniform(0.2, 0.4), ramp_days=ramp)
