"""A school whose mail server refuses its address does not stop any other school's alerts: the refused
delivery fails alone and is dead-lettered (issue #10, item 10). Real broker, real SMTP server; the
alerts are severe, so they go at once (issue #13)."""

import json
from email import message_from_bytes

from infra.local.readiness import wait_until
from shared import topics
from shared.kafka import make_producer, publish
from tests.factories import SCHOOL_A, SCHOOL_B, risk_alert
from tests.integration.topics import read_topic


def test_a_refused_address_fails_alone_and_is_dead_lettered(stack, kafka):
    refused = f"attendance-lead-{SCHOOL_A}@schools.invalid"
    for school in (SCHOOL_A, SCHOOL_B):
        stack.recipient("Lead", "attendance_lead", f"attendance-lead-{school}@schools.invalid", school)
    stack.inbox.refuse.add(refused)
    stack.start("notifications")
    producer = make_producer(kafka, client_id="test")
    for pupil, school in (("p1", SCHOOL_A), ("p2", SCHOOL_B), ("p3", SCHOOL_A), ("p4", SCHOOL_B)):
        publish(producer, topics.RISK_ALERTS, risk_alert(pupil, school, band="severe_absence")).get(timeout=10)
    producer.close()

    wait_until(lambda: len(stack.inbox.messages) == 2, 30, "school B's two emails")
    assert {message_from_bytes(m)["To"] for m in stack.inbox.messages} == {
        f"attendance-lead-{SCHOOL_B}@schools.invalid"
    }
    wait_until(
        lambda: sum(d["status"] == "failed" for d in stack.deliveries()) == 2, 30, "school A's deliveries to fail"
    )
    letters = [letter for _, letter in read_topic(kafka, topics.NOTIFICATIONS_DLQ, 2)]
    assert len(letters) == 2 and all("550" in letter.reason for letter in letters)
    assert {risk_alert_pupil(letter.payload) for letter in letters} == {"p1", "p3"}
    health = stack.health("notifications")
    assert health["status"] == "ok" and health["consumer"]["state"] == "consuming"


def risk_alert_pupil(payload: str) -> str:
    """A failed delivery's dead letter carries what the message was rendered from."""
    return json.loads(payload)["pupil_id"]
