"""The synthetic borough's enrichment: three activities at each school, each meeting one afternoon a
week, and the registers of the pupils planted as participants (borough.py), as a provider would
publish them through ingest."""

from __future__ import annotations

import datetime as dt
import random

from synthetic.borough import ACTIVITIES_PER_SCHOOL, Pupil, School

# (name, kind, weekday it meets: 0 Monday)
ACTIVITIES = (
    ("Art workshop", "cultural_workshop", 1),
    ("Football club", "sport", 2),
    ("Drama club", "club", 3),
)
ATTENDS_SESSION = 0.8  # a participant comes to most sessions, not all
assert len(ACTIVITIES) == ACTIVITIES_PER_SCHOOL


def activity_id(school_urn: str, index: int) -> str:
    return f"{school_urn}-{ACTIVITIES[index][1]}-{index}"


def activity_rows(schools: list[School]) -> list[dict]:
    return [
        {"activity_id": activity_id(school.urn, index), "name": name, "kind": kind, "school_urn": school.urn}
        for school in schools
        for index, (name, kind, _) in enumerate(ACTIVITIES)
    ]


def attendance_rows(pupils: list[Pupil], day: dt.date, day_index: int, seed: int) -> list[dict]:
    """The registers of the activities meeting on `day`: every participant who has joined, came or not."""
    rng = random.Random(f"{seed}:{day.isoformat()}")
    rows = []
    for pupil in pupils:
        plan = pupil.enrichment
        if plan is None or day_index < plan.joins_on_day or ACTIVITIES[plan.activity][2] != day.weekday():
            continue
        rows.append(
            {
                "activity_id": activity_id(pupil.school_urn, plan.activity),
                "school_urn": pupil.school_urn,
                "upn": pupil.upn,
                "date": day.isoformat(),
                # The first session is the day they joined: they came to it.
                "attended": day_index < plan.joins_on_day + 5 or rng.random() < ATTENDS_SESSION,
                "recorded_at": dt.datetime.combine(day, dt.time(17, 30), tzinfo=dt.UTC).isoformat(),
            }
        )
    return rows
