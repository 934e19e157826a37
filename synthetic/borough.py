"""Schools and pupils with the characteristics that drive absence nationally.

Each pupil gets an absence propensity: a lognormal draw (most pupils rarely miss
school, a long tail misses a lot) scaled by phase, year group, FSM and SEN in the
proportions DfE reports. A few pupils with strong attendance are "decliners"
whose propensity climbs through the year, so the early-warning rules have
someone to find.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from shared.events import Characteristics, SenStatus
from shared.upn import make_upn

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
    decliner_share: float = 0.03


@dataclass(frozen=True)
class School:
    urn: str
    name: str
    phase: str  # primary | secondary


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
    propensity: float
    decliner: bool


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
        )
        for index in range(schools)
    ]
    pupils = []
    for index, school in enumerate(school_list):
        for serial in range(pupils_per_school):
            pupils.append(_pupil(rng, school, 4000 + index, serial, start_year, calibration))
    return school_list, pupils


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
    decliner = propensity < 0.03 and rng.random() < c.decliner_share / 0.5
    birth_year = start_year - year_group - 5
    return Pupil(
        upn=make_upn(LA_CODE, establishment, start_year - year_group, serial),
        given_name=rng.choice(GIVEN),
        family_name=rng.choice(FAMILY),
        date_of_birth=dt.date(birth_year, rng.randint(1, 12), rng.randint(1, 28)),
        school_urn=school.urn,
        year_group=year_group,
        admission_date=dt.date(start_year, 9, 1),
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
        decliner=decliner,
    )
