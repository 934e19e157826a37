"""Casework benchmark: a school's caseload (400 open cases with their latest alerts and open
interventions) listed from a borough's data (25,000 pupils, 60 schools), on SQLite and PostgreSQL;
and the time an alert takes to join its case with its proposals (the alert path's added cost).

python -m bench.casework [--pupils 25000] [--requests 300] [--databases sqlite postgresql]
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import time

from fastapi.testclient import TestClient
from sqlmodel import Session

from bench.harness import borough_arguments, per_database, percentile, record
from services.referrals.app import create_app, open_database
from services.referrals.casework.models import Alert, Case, Provider, Referral, TimelineEntry
from services.referrals.consumer import handle_event
from services.referrals.pupils import PupilContextRow, PupilFigures, PupilIdentity
from services.referrals.settings import Settings
from services.referrals.staff import Role, add_staff
from shared.events import Characteristics, RiskAlert, Transition, alert_id_for
from shared.settings import KafkaSettings

BUSY_SCHOOL = "100000"
SCHOOLS = [BUSY_SCHOOL] + [f"{100000 + n * 7:06d}" for n in range(1, 60)]
OPENED = dt.datetime(2025, 11, 3, 9, tzinfo=dt.UTC)


def seed(engine, pupils: int, busy_cases: int) -> None:
    """Every pupil's identity, context and figures; a fifth of them flagged, the busy school's many."""
    rng = random.Random(7)
    with Session(engine) as session:
        session.add(Provider(name="Mentors", kind="la", interventions=["mentoring", "family_outreach"],
                             borough_wide=True, capacity_per_term=100_000))  # fmt: skip
        session.commit()
    rows: list = []
    for n in range(pupils):
        busy = n < busy_cases  # the busy school's flagged pupils first, then the borough round-robin
        school, pupil = BUSY_SCHOOL if busy else SCHOOLS[1 + n % (len(SCHOOLS) - 1)], f"{n:032x}"
        rows += [
            PupilIdentity(school_urn=school, pupil_id=pupil, upn=f"A{n:012d}", given_name="Sam", family_name="Jones",
                          date_of_birth=dt.date(2012, 1, 1)),
            PupilContextRow(school_urn=school, pupil_id=pupil, year_group=rng.randint(1, 11),
                            admission_date=dt.date(2021, 9, 1), area_code=f"E0101{2000 + n % 40:04d}",
                            characteristics=characteristics(rng)),
            PupilFigures(school_urn=school, pupil_id=pupil, possible=120, attended=108, authorised=8, unauthorised=4,
                         attendance_rate=0.9, absence_rate=0.1, last_date=dt.date(2025, 12, 1), risk_score=20,
                         as_of=OPENED),
        ]  # fmt: skip
        if busy or rng.random() < 0.2:
            rows.append(_case(school, pupil, rng))
        if len(rows) > 3000:
            _flush(engine, rows)
    _flush(engine, rows)


def characteristics(rng: random.Random) -> dict:
    """A pupil's characteristics in about the borough's proportions (for the reporting groups)."""
    return Characteristics(fsm=rng.random() < 0.25, sen=rng.choices(["none", "K", "E"], [84, 13, 3])[0],
                           eal=rng.random() < 0.12, child_in_need=rng.random() < 0.03,
                           looked_after=rng.random() < 0.007).model_dump(mode="json")  # fmt: skip


def _case(school: str, pupil: str, rng: random.Random) -> tuple[Case, list]:
    """A case, and its rows that need its id: two alerts, four notes and a referral."""
    alert = lambda rule, status: Alert(  # noqa: E731
        alert_id=alert_id_for(school, pupil, rule, 1), pupil_id=pupil, school_urn=school, rule=rule, episode=1,
        status=status, band="persistent_absence" if rule == "persistent_absence" else None,
        reasons=["absent 14 of 120 possible sessions"], figures={"absence_rate": 0.116, "risk_score": 30},
        raised_at=OPENED, updated_at=OPENED, as_of=OPENED.date(),
    )  # fmt: skip
    case = Case(pupil_id=pupil, school_urn=school, opened_at=OPENED, first_alert_on=OPENED.date())
    return case, [
        alert("first_week_absence", "resolved"),
        alert("persistent_absence", "raised"),
        *(TimelineEntry(case_id=0, kind="note", text="spoke to the family") for _ in range(4)),
        Referral(case_id=0, school_urn=school, pupil_id=pupil, intervention="mentoring", provider_id=1,
                 term="2025/1-autumn", status=rng.choice(["offered", "consented", "started"])),
    ]  # fmt: skip


def _flush(engine, rows: list) -> None:
    with Session(engine) as session:
        cases = [row[0] for row in rows if isinstance(row, tuple)]
        session.add_all(cases)
        session.flush()  # gives the cases their ids
        for case, dependents in (row for row in rows if isinstance(row, tuple)):
            for dependent in dependents:
                dependent.case_id = case.id
            session.add_all(dependents)
        session.add_all([row for row in rows if not isinstance(row, tuple)])
        session.commit()
    rows.clear()


def timed(call, count: int) -> list[float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def measure(url: str, pupils: int, requests: int) -> dict:
    settings = Settings(database_url=url, consumer_enabled=False)
    engine = open_database(settings)
    started = time.perf_counter()
    seed(engine, pupils, busy_cases=400)
    seeded_s = time.perf_counter() - started
    gc.collect()  # the seeding's objects: in production they live in the database, not this process
    token = add_staff(engine, "lead", Role.SCHOOL_STAFF, BUSY_SCHOOL)
    with TestClient(create_app(settings, KafkaSettings()), headers={"Authorization": f"Bearer {token}"}) as client:
        caseload = f"/v1/cases?status=open&school_urn={BUSY_SCHOOL}&limit=500"
        assert len(client.get(caseload).json()["items"]) == 400
        timed(lambda: client.get(caseload), 20)  # warm up
        listing = timed(lambda: client.get(caseload).raise_for_status(), requests)
        first = client.get(caseload).json()["items"][0]["id"]
        page = timed(lambda: client.get(f"/v1/cases/{first}").raise_for_status(), requests)
    alert_path = timed(lambda: _one_alert(engine), 300)
    engine.dispose()
    return {
        "seeded_rows_s": round(seeded_s, 1),
        "caseload_400_p50_ms": round(percentile(listing, 50), 1),
        "caseload_400_p99_ms": round(percentile(listing, 99), 1),
        "case_page_p50_ms": round(percentile(page, 50), 1),
        "case_page_p99_ms": round(percentile(page, 99), 1),
        "alert_to_case_and_proposals_p50_ms": round(percentile(alert_path, 50), 1),
        "alert_to_case_and_proposals_p99_ms": round(percentile(alert_path, 99), 1),
    }


_next_pupil = iter(range(10**9))


def _one_alert(engine) -> None:
    """What the consumer does for a new alert: record it, open the case, propose support, commit."""
    pupil = f"{next(_next_pupil):032x}"[::-1]
    alert = RiskAlert(alert_id=alert_id_for(BUSY_SCHOOL, pupil, "persistent_absence", 1), pupil_id=pupil,
                      school_urn=BUSY_SCHOOL, rule="persistent_absence", episode=1, transition=Transition.RAISED,
                      band="chronic_absence", reasons=["absent"], figures={})  # fmt: skip
    with Session(engine) as session:
        handle_event(session, alert)
        session.commit()


def main(argv: list[str] | None = None) -> None:
    args = borough_arguments(__doc__, argv, requests=300)
    figures = {"pupils": args.pupils, "schools": len(SCHOOLS), "requests": args.requests}
    figures |= per_database(args.databases, lambda url: measure(url, args.pupils, args.requests))
    figures["targets"] = {"caseload_400_p99_ms": "< 100"}
    record("casework", figures)


if __name__ == "__main__":
    main()
