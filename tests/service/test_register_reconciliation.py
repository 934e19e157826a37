"""Daily reconciliation through the referrals API and its metrics: pupils on roll (admitted, not yet
left) at a school open that day, against the marks that came; who may see which schools."""

import datetime as dt

from prometheus_client import REGISTRY
from sqlmodel import Session

from services.referrals import metrics
from services.referrals.reconciliation.gaps import RegisterDeadlines
from services.referrals.reconciliation.readings import reconciliation_of
from services.referrals.staff import Role
from shared.events import SchoolCalendar, Term
from tests.factories import SCHOOL_A, SCHOOL_B, context, mark
from tests.service.referrals_support import consume, headers_for

DAY = dt.date(2026, 3, 4)  # a Wednesday
CLOSED = SchoolCalendar(  # school B closes for a training day
    school_urn=SCHOOL_B,
    academic_year="2025/26",
    terms=[Term(name="spring", start=dt.date(2026, 1, 5), end=dt.date(2026, 3, 27))],
    closures=[DAY],
)


def seed(engine) -> None:
    consume(
        engine,
        CLOSED,
        context("a1"),
        context("a2"),
        context("a3"),
        context("gone", leaving=DAY - dt.timedelta(days=1)),  # left yesterday: not on roll
        context("b1", SCHOOL_B),
        mark("a1", DAY, "AM", "/"),
        mark("a2", DAY, "AM", "N"),  # any code is a mark: the register was taken
        mark("gone", DAY, "AM", "/"),  # a mark for a pupil not on roll fills no gap
    )


def reconciliation(referrals, role, school=None, **params):
    client, _ = referrals
    response = client.get(
        "/v1/registers/reconciliation",
        params={"date": DAY.isoformat(), **params},
        headers=headers_for(referrals, role, school),
    )
    assert response.status_code == 200, response.text
    return {(row["school_urn"], row["session"]): row for row in response.json()["sessions"]}


def test_pupils_on_roll_are_counted_against_their_marks_at_schools_open_that_day(referrals):
    seed(referrals[1])
    rows = reconciliation(referrals, Role.OPERATIONS)
    assert set(rows) == {(SCHOOL_A, "AM"), (SCHOOL_A, "PM")}  # school B was closed
    assert (rows[(SCHOOL_A, "AM")]["on_roll"], rows[(SCHOOL_A, "AM")]["marked"]) == (3, 2)
    assert rows[(SCHOOL_A, "AM")]["unmarked"] == 1 and not rows[(SCHOOL_A, "AM")]["overdue"]
    assert rows[(SCHOOL_A, "PM")]["marked"] == 0 and rows[(SCHOOL_A, "PM")]["overdue"]  # a past day


def test_a_school_sees_only_its_own_registers_and_providers_none(referrals):
    seed(referrals[1])
    consume(referrals[1], context("c1", "100003"))
    assert {school for school, _ in reconciliation(referrals, Role.SCHOOL_STAFF, SCHOOL_A)} == {SCHOOL_A}
    assert {school for school, _ in reconciliation(referrals, Role.LA_ATTENDANCE_OFFICER)} == {SCHOOL_A, "100003"}
    client, _ = referrals
    other = client.get(
        "/v1/registers/reconciliation",
        params={"date": DAY.isoformat(), "school_urn": "100003"},
        headers=headers_for(referrals, Role.SCHOOL_STAFF, SCHOOL_A),
    )
    assert other.status_code == 403 and "100003" in other.json()["detail"]


def test_a_bad_date_is_named(referrals):
    client, _ = referrals
    response = client.get(
        "/v1/registers/reconciliation", params={"date": "2026-02-30"}, headers=headers_for(referrals, Role.OPERATIONS)
    )
    assert response.status_code == 422 and "date" in response.text


def test_the_metrics_name_each_overdue_school_session(referrals_db):
    seed(referrals_db)
    with Session(referrals_db) as session:
        result = reconciliation_of(
            session, DAY, now=dt.datetime.combine(DAY, dt.time(14, 35)), deadlines=RegisterDeadlines()
        )
    metrics.refresh_registers(result)
    sample = REGISTRY.get_sample_value
    assert sample("referrals_register_overdue", {"school_urn": SCHOOL_A, "session": "AM"}) == 0
    assert sample("referrals_register_unmarked_pupils", {"school_urn": SCHOOL_A, "session": "AM"}) == 1
    assert sample("referrals_register_overdue", {"school_urn": SCHOOL_A, "session": "PM"}) == 1
    assert sample("referrals_register_overdue", {"school_urn": SCHOOL_B, "session": "AM"}) is None  # closed
