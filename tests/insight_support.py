"""The demo borough (the synthetic generator with planted enrichment) loaded into a referrals database
as its consumer would keep it, for the insight tests and the report test."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlmodel import Session

from services.ingest.pseudonym import pupil_id_for
from services.referrals.consumer import handle_events
from services.risk_engine.attendance import tally
from shared import events
from shared.codes import current_table
from synthetic.activities import activity_rows, attendance_rows
from synthetic.borough import Calibration, make_borough
from synthetic.calendar import school_calendar
from synthetic.feed import DEMO_CALIBRATION
from synthetic.marks import school_year_marks

KEY = b"insight-tests"


def load_demo_borough(
    engine,
    *,
    until: dt.date,
    schools: int = 3,
    pupils_per_school: int = 120,
    seed: int = 2025,
    calibration: Calibration = DEMO_CALIBRATION,
):
    """Calendars, contexts, activities, every mark and activity register up to `until`, and each pupil's
    figures counted from their final codes (as the risk engine publishes them)."""
    school_list, pupils = make_borough(seed, schools, pupils_per_school, calibration=calibration)
    ids = {pupil.upn: pupil_id_for(pupil.upn, KEY) for pupil in pupils}
    batch: list[events.Event] = [school_calendar(school.urn) for school in school_list]
    batch += [
        events.PupilContext(
            pupil_id=ids[p.upn],
            school_urn=p.school_urn,
            year_group=p.year_group,
            admission_date=p.admission_date,
            characteristics=p.characteristics,
            area_code=p.area_code,
        )  # fmt: skip
        for p in pupils
    ]
    batch += [events.Activity(**row) for row in activity_rows(school_list)]
    final: dict[tuple[str, str], dict] = defaultdict(dict)
    for index, (day, rows) in enumerate(school_year_marks(pupils, seed, schools=school_list)):
        if day > until:
            break
        for row in rows:
            pupil_id = ids[row["upn"]]
            batch.append(events.AttendanceMark(pupil_id=pupil_id, school_urn=row["school_urn"], date=row["date"],
                                               session=row["session"], code=row["code"],
                                               recorded_at=row["recorded_at"]))  # fmt: skip
            final[(row["school_urn"], pupil_id)][(row["date"], row["session"])] = row["code"]
        for row in attendance_rows(pupils, day, index, seed):
            batch.append(events.ActivityAttendance(activity_id=row["activity_id"], pupil_id=ids[row["upn"]],
                                                   school_urn=row["school_urn"], date=row["date"],
                                                   attended=row["attended"],
                                                   recorded_at=row["recorded_at"]))  # fmt: skip
    for (school, pupil_id), codes in final.items():
        counted = tally(list(codes.values()), current_table())
        batch.append(events.PupilAttendance(
            pupil_id=pupil_id, school_urn=school, possible=counted.possible, attended=counted.attended,
            authorised=counted.authorised, unauthorised=counted.unauthorised,
            attendance_rate=counted.attendance_rate, absence_rate=counted.absence_rate, last_date=until,
        ))  # fmt: skip
    with Session(engine) as session:
        handle_events(session, batch)
        session.commit()
    return school_list, pupils, ids
