"""Publish the synthetic borough through the ingest HTTP API, as a real connector would."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
from tqdm import tqdm

from services.ingest.connectors.client import chunks, post_json, post_rows
from synthetic.activities import activity_rows, attendance_rows
from synthetic.borough import Calibration, Pupil, make_borough
from synthetic.calendar import school_calendar
from synthetic.marks import SCHOOL_DAYS, school_year_marks

# The demo plants enrichment: 6% of pupils join an activity, 25% of those missing 10% or more.
DEMO_CALIBRATION = Calibration(enrichment_share=0.06, enrichment_targeted_share=0.25)

CALENDAR_FIELDS = {"school_urn", "academic_year", "terms", "closures"}


@dataclass(frozen=True)
class FeedPlan:
    seed: int = 2025
    schools: int = 6
    pupils_per_school: int = 200
    day_seconds: float = 0.5
    batch_rows: int = 2_000
    calibration: Calibration = DEMO_CALIBRATION


def pupil_row(pupil: Pupil) -> dict:
    return {
        "school_urn": pupil.school_urn,
        "upn": pupil.upn,
        "given_name": pupil.given_name,
        "family_name": pupil.family_name,
        "date_of_birth": pupil.date_of_birth.isoformat(),
        "year_group": pupil.year_group,
        "admission_date": pupil.admission_date.isoformat(),
        "characteristics": pupil.characteristics.model_dump(mode="json"),
        "area_code": pupil.area_code,
    }


def run_feed(client: httpx.Client, plan: FeedPlan, progress: bool = True) -> int:
    """Send calendars, pupils and activities, then a school year of marks (and the activities'
    registers) day by day; returns marks accepted."""
    schools, pupils = make_borough(plan.seed, plan.schools, plan.pupils_per_school, calibration=plan.calibration)
    for school in schools:
        calendar = school_calendar(school.urn)
        post_json(client, "/v1/calendars", calendar.model_dump(mode="json", include=CALENDAR_FIELDS))
    for chunk in chunks([pupil_row(pupil) for pupil in pupils]):
        post_rows(client, "/v1/pupils", chunk)
    post_rows(client, "/v1/activities", activity_rows(schools))
    sent = 0
    with tqdm(total=SCHOOL_DAYS * len(pupils) * 2, unit="mark", disable=not progress, desc="school year") as bar:
        started = time.monotonic()
        for index, (day, rows) in enumerate(school_year_marks(pupils, plan.seed, schools=schools)):
            for chunk in chunks(rows, plan.batch_rows):
                post_rows(client, "/v1/marks", chunk)
                sent += len(chunk)
                bar.update(len(chunk))
            registers = attendance_rows(pupils, day, index, plan.seed)
            if registers:
                post_rows(client, "/v1/activities/attendance", registers)
            bar.set_postfix_str(day.isoformat())
            time.sleep(max(0.0, plan.day_seconds - (time.monotonic() - started)))
            started = time.monotonic()
    return sent
