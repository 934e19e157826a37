"""A school's randomised round of parent messages reaches the LA's impact evaluation: notifications makes
the round, writes each pupil's arm to its outbox in the same transaction and publishes it on
`parent.rounds`; referrals keeps it in the reporting store; the evaluation counts the round. Real
broker, both services as processes."""

import datetime as dt

from sqlmodel import Session

from infra.local.local_http import LOCAL
from infra.local.readiness import wait_until
from services.notifications.app import open_database as open_notifications
from services.notifications.parent_messages import held_back
from services.notifications.parent_rounds import NewParentPlan, save_plan
from services.notifications.settings import Settings as NotificationsSettings
from services.referrals.staff import Role
from shared import topics
from shared.events import ParentMessageArm, SchoolCalendar, Term, utcnow
from shared.kafka import make_producer, publish
from shared.time import school_today
from tests.factories import SCHOOL_A, risk_alert
from tests.integration.topics import read_topic

PUPILS = [f"p{n}" for n in range(12)]
SEED, SHARE = "spring-trial", 0.5


def calendar_starting(day: dt.date) -> SchoolCalendar:
    """A term whose first school day is `day` (the latest weekday up to today): a round is due now."""
    return SchoolCalendar(school_urn=SCHOOL_A, academic_year="2026/27",
                          terms=[Term(name="spring", start=day, end=day + dt.timedelta(days=70))])  # fmt: skip


def test_a_randomised_round_reaches_the_impact_evaluation(stack, kafka):
    today = school_today(utcnow())
    first_day = today - dt.timedelta(days=max(0, today.weekday() - 4))
    engine = open_notifications(NotificationsSettings(database_url=stack.env["NOTIFICATIONS_DATABASE_URL"]))
    with Session(engine) as session:
        plan = NewParentPlan(rules="persistent_absence", wording="Your child has missed {days_missed} of school.",
                             hold_back_share=SHARE, seed=SEED, send_at=dt.time(0, 0))  # fmt: skip
        save_plan(session, SCHOOL_A, plan)
    producer = make_producer(kafka, client_id="test")
    publish(producer, topics.SCHOOL_CALENDAR, calendar_starting(first_day)).get(timeout=10)
    for pupil in PUPILS:
        publish(producer, topics.RISK_ALERTS, risk_alert(pupil)).get(timeout=10)
    producer.close()
    stack.env["NOTIFICATIONS_PARENT_ROUNDS_EVERY_S"] = "1"
    stack.env["REFERRALS_INSIGHT_CACHE_SECONDS"] = "0"  # each look counts afresh: no answer reused from before
    stack.start("notifications", "referrals")

    entries = [entry for _, entry in read_topic(kafka, topics.PARENT_ROUNDS, len(PUPILS), timeout_s=60)]
    expected = {p: ParentMessageArm.HELD_BACK if held_back(p, seed=SEED, share=SHARE) else ParentMessageArm.NO_CONTACT
                for p in PUPILS}  # fmt: skip  # no contacts were sent, so every pupil not held back is "no contact"
    assert {entry.pupil_id: entry.arm for entry in entries} == expected
    assert {(entry.half_term_start, entry.hold_back_share) for entry in entries} == {(first_day, SHARE)}

    officer = {"Authorization": f"Bearer {stack.staff_token(Role.LA_ATTENDANCE_OFFICER, None)}"}

    def evaluated() -> dict:
        url = f"{stack.url('referrals')}/v1/insight/impact?as_of={today.isoformat()}"
        return LOCAL.get(url, headers=officer, timeout=10).json()["parent_messages"]

    wait_until(lambda: evaluated()["entries"] == len(PUPILS), 30, "the round in the reporting store")
    messages = evaluated()
    # The weeks after the round are not over yet: counted as not measurable, no estimate.
    assert (messages["rounds"], messages["unmeasured"]) == (1, len(PUPILS))
    assert messages["rows"][0]["estimate"] is None
