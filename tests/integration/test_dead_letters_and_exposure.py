"""Undecodable events go to each consumer's dead-letter topic and never stop its stream; the risk
engine serves only /metrics and /health, on loopback."""

import datetime as dt

import psutil
import pytest

from infra.local.local_http import LOCAL
from infra.local.readiness import wait_until
from shared import topics
from shared.events import AttendanceMark
from shared.kafka import make_producer, publish
from tests.integration.topics import read_topic

pytestmark = pytest.mark.integration


def test_bad_events_are_dead_lettered_and_the_streams_go_on(stack, kafka):
    stack.start("risk_engine", "referrals", "notifications")
    producer = make_producer(kafka, client_id="test")
    producer.send(topics.MARKS.name, key=b"p1", value=b"not json").get(timeout=10)
    producer.send(topics.MARKS.name, key=b"p1", value=b'{"pupil_id": "p1", "code": "H"}').get(timeout=10)
    producer.send(topics.RISK_ALERTS.name, key=b"p1", value=b'{"alert_id": 7}').get(timeout=10)
    good = AttendanceMark(
        pupil_id="p1", school_urn="123456", date=dt.date(2025, 9, 8), session="AM", code="/",
        recorded_at=dt.datetime(2025, 9, 8, 9, tzinfo=dt.UTC),
    )  # fmt: skip
    publish(producer, topics.MARKS, good).get(timeout=10)
    producer.close()

    letters = [letter for _, letter in read_topic(kafka, topics.RISK_ENGINE_DLQ, 2)]
    assert [(letter.source_topic, letter.payload) for letter in letters][0] == ("attendance.marks", "not json")
    # Each reason names the field to mend (the first of several), so the operations team need not guess.
    assert (
        letters[1].offset == 1
        and letters[1].reason == "undecodable AttendanceMark: school_urn: Field required (and 3 more)"
    )
    wait_until(
        lambda: stack.metric("risk_engine", "risk_engine_events_total", outcome="applied") == 1, 30, "the good mark"
    )
    assert stack.metric("risk_engine", "risk_engine_dead_letters_total", topic="attendance.marks") == 2
    assert "risk_engine_consumer_lag" in LOCAL.get(f"{stack.url('risk_engine')}/metrics").text
    # The running worker's own lines reach its log (faust's stdout redirection once swallowed them all).
    assert "WARNING dead-lettered a mark" in " ".join(stack.log("risk_engine").split())
    # Referrals reads marks too (for the pupil page): it dead-letters the two bad marks as well.
    referral_letters = sorted(
        (dead.source_topic, dead.offset) for _, dead in read_topic(kafka, topics.REFERRALS_DLQ, 3)
    )
    assert referral_letters == [("attendance.marks", 0), ("attendance.marks", 1), ("risk.alerts", 0)]
    [(_, letter)] = read_topic(kafka, topics.NOTIFICATIONS_DLQ, 1)
    assert letter.source_topic == "risk.alerts"
    assert letter.reason.startswith("undecodable RiskAlert: alert_id: Input should be a valid string (and ")


def test_risk_engine_serves_no_table_views_and_listens_on_loopback_only(stack):
    stack.start("risk_engine")
    base = stack.url("risk_engine")
    assert LOCAL.get(f"{base}/health").status_code == 200
    assert "risk_engine_events_total" in LOCAL.get(f"{base}/metrics").text
    for path in ("/table/pupil-state/", "/table/", "/router/", "/graph/", "/"):
        assert LOCAL.get(f"{base}{path}").status_code == 404
    worker = psutil.Process(stack.processes["risk_engine"].pid)
    listening = {(c.laddr.ip, c.laddr.port) for c in worker.net_connections("inet") if c.status == psutil.CONN_LISTEN}
    assert listening == {("127.0.0.1", stack.ports["risk_engine"])}
