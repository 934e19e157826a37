"""Staff pages benchmark: Today, the caseload and a pupil's page, server-side, for a school with 400
open cases and a full year of marks, among a borough's data (25,000 pupils); and how fast referrals
takes in a morning's register for the whole borough (the marks and figures the pages draw on).

python -m bench.pages [--pupils 25000] [--requests 200] [--databases sqlite postgresql]
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import time

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bench.casework import BUSY_SCHOOL, seed, timed
from bench.harness import borough_arguments, per_database, percentile, record
from services.referrals.app import create_app, open_database
from services.referrals.casework.models import Case
from services.referrals.consumer import handle_events
from services.referrals.pupils import PupilFigures
from services.referrals.registers import RegisterSession, recorded
from services.referrals.settings import Settings
from services.referrals.staff import Role, add_staff
from services.referrals.web.sessions import sign_in_url
from shared.calendar_store import record_calendar
from shared.events import AttendanceMark, PupilAttendance
from shared.settings import KafkaSettings
from synthetic.calendar import school_calendar, school_days

CODES = ["/"] * 18 + ["I", "N"]


def full_years(engine, pupils: list[str]) -> None:
    """Every school day of 2025/26 marked for these pupils at the busy school, and their figures."""
    calendar = school_calendar(BUSY_SCHOOL, 2025)
    days = [day for day, _ in school_days(calendar.terms, calendar.closures)]
    rng, at = random.Random(3), recorded(dt.datetime(2025, 9, 1, 9, tzinfo=dt.UTC))
    with Session(engine) as session:
        record_calendar(session, calendar)
        for pupil in pupils:
            for day in days:
                for half in ("AM", "PM"):
                    code = rng.choice(CODES) if half == "AM" else ("\\" if rng.random() > 0.1 else "N")
                    session.add(RegisterSession.of((BUSY_SCHOOL, pupil, day, half), [code, at, code, at]))
            figures = session.get(PupilFigures, (BUSY_SCHOOL, pupil))
            figures.last_date = days[-1]
            session.add(figures)
        session.commit()


def morning_register(engine) -> dict:
    """Every pupil's AM mark and new figures for a day after the year, in the consumer's 500-event
    batches, each batch one transaction as the consumer commits it."""
    day, at = dt.date(2026, 7, 20), dt.datetime(2026, 7, 20, 9, tzinfo=dt.UTC)
    with Session(engine) as session:
        everyone = session.exec(select(PupilFigures)).all()
    batch_events = []
    for row in everyone:
        batch_events.append(AttendanceMark(pupil_id=row.pupil_id, school_urn=row.school_urn, date=day, session="AM",
                                           code="/", recorded_at=at))  # fmt: skip
        figures = row.model_dump(include=set(PupilAttendance.model_fields)) | {"attended": row.attended + 1}
        batch_events.append(PupilAttendance(**figures | {"possible": row.possible + 1, "last_date": day}))
    started = time.perf_counter()
    for first in range(0, len(batch_events), 500):
        with Session(engine) as session:
            handle_events(session, batch_events[first : first + 500])
            session.commit()
    seconds = time.perf_counter() - started
    return {"register_events": len(batch_events), "register_events_per_s": round(len(batch_events) / seconds)}


def measure(url: str, pupils: int, requests: int) -> dict:
    settings = Settings(database_url=url, consumer_enabled=False, cookie_secure=False, public_url="http://testserver")
    engine = open_database(settings)
    try:
        seed(engine, pupils, busy_cases=400)
        with Session(engine) as session:
            busy = [case.pupil_id for case in session.exec(select(Case).where(Case.school_urn == BUSY_SCHOOL))]
        full_years(engine, busy)
        gc.collect()
        add_staff(engine, "Lead", Role.SCHOOL_STAFF, BUSY_SCHOOL)
        with TestClient(create_app(settings, KafkaSettings())) as client:
            client.get(sign_in_url(engine, "", "Lead"))
            paths = {"today": "/", "caseload": "/caseload", "pupil": f"/pupils/{BUSY_SCHOOL}/{busy[0]}"}
            figures = {}
            for name, path in paths.items():
                assert client.get(path).status_code == 200
                timed(lambda p=path: client.get(p), 10)
                timings = timed(lambda p=path: client.get(p).raise_for_status(), requests)
                figures[f"{name}_p50_ms"] = round(percentile(timings, 50), 1)
                figures[f"{name}_p99_ms"] = round(percentile(timings, 99), 1)
            figures["today_alerts_shown"] = client.get("/").text.count('class="govuk-summary-card__title"')
        figures |= morning_register(engine)
    finally:
        engine.dispose()
    return figures


def main(argv: list[str] | None = None) -> None:
    args = borough_arguments(__doc__, argv, requests=200)
    figures = {"pupils": args.pupils, "open_cases_at_the_school": 400, "requests": args.requests}
    figures |= per_database(args.databases, lambda url: measure(url, args.pupils, args.requests))
    figures["targets"] = {"each_page_p99_ms": "< 200"}
    record("pages", figures)


if __name__ == "__main__":
    main()
