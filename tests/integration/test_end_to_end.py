"""A term of marks in through ingest; exactly one alert, case and email out for the pupil who slips."""

import datetime as dt
from email import message_from_bytes, policy

import pytest

from infra.local.local_http import LOCAL
from infra.local.readiness import wait_until
from services.referrals.staff import Role
from shared.upn import make_upn
from synthetic.calendar import academic_year, school_days

pytestmark = pytest.mark.integration

SCHOOL = "123456"
SLIPPING = make_upn(807, 4001, 18, 1)
STEADY = make_upn(807, 4001, 18, 2)


def autumn_term_marks() -> list[dict]:
    """Autumn term. SLIPPING is ill on days 10-11 and every sixth day after (15-17% from the
    fortieth session on); STEADY misses one day in twenty, unexplained (under 5%)."""
    terms, closures = academic_year(2025)
    days = [day for day, term in school_days(terms, closures) if term == "autumn"]
    rows = []
    for index, day in enumerate(days):
        for upn, code in (
            (SLIPPING, "I" if index in (10, 11) or (index > 11 and index % 6 == 4) else None),
            (STEADY, "N" if index % 20 == 19 else None),
        ):
            for session, present in (("AM", "/"), ("PM", "\\")):
                rows.append(
                    {
                        "school_urn": SCHOOL,
                        "upn": upn,
                        "date": day.isoformat(),
                        "session": session,
                        "code": code or present,
                        "recorded_at": dt.datetime.combine(day, dt.time(9, 30), tzinfo=dt.UTC).isoformat(),
                    }
                )
    return rows


def test_pupil_crossing_ten_percent_gets_one_alert_one_case_one_email(stack):
    token = stack.staff_token(Role.SCHOOL_STAFF, SCHOOL)
    connector = {"Authorization": f"Bearer {stack.connector_key('mis', [SCHOOL])}"}
    # The attendance lead asked to hear at once, not in the day's digest.
    stack.recipient("Lead", "attendance_lead", f"attendance-lead-{SCHOOL}@schools.invalid", SCHOOL, timing="immediate")
    stack.recipient("Other lead", "attendance_lead", "lead@other.invalid", "999999", timing="immediate")
    stack.start()
    rows = autumn_term_marks()
    for start in range(0, len(rows), 100):
        response = LOCAL.post(
            f"{stack.url('ingest')}/v1/marks", json=rows[start : start + 100], headers=connector, timeout=30
        )
        assert response.status_code == 202, response.text

    def processed() -> float:
        return stack.metric("risk_engine", "risk_engine_events_total", topic="attendance.marks")

    wait_until(lambda: processed() >= len(rows), 60, "the risk engine to process every mark")
    staff = {"Authorization": f"Bearer {token}"}
    wait_until(lambda: any(d["status"] == "sent" for d in stack.deliveries()), 30, "an email delivery")
    # Resend the whole term: duplicates must change nothing downstream.
    for start in range(0, len(rows), 500):
        assert (
            LOCAL.post(f"{stack.url('ingest')}/v1/marks", json=rows[start : start + 500], headers=connector).status_code
            == 202
        )
    wait_until(lambda: processed() >= 2 * len(rows), 60, "the risk engine to process the resent marks")
    wait_until(lambda: stack.metric("referrals", "referrals_events_total", topic="risk.alerts") >= 1, 30, "referrals")

    def alerts_now() -> list[dict]:
        return LOCAL.get(f"{stack.url('referrals')}/v1/alerts", headers=staff).json()["items"]

    # What staff see of the open alert is the pupil's figures now (the whole term), not those of the day it was raised.
    term_sessions = len(rows) // 2
    wait_until(lambda: (alerts_now()[0]["current"] or {}).get("possible") == term_sessions, 30, "current figures")
    alerts = alerts_now()
    assert alerts[0]["figures"]["possible_sessions"] < term_sessions
    assert stack.health("referrals")["consumer"]["state"] == "consuming"
    cases = LOCAL.get(f"{stack.url('referrals')}/v1/cases", headers=staff).json()["items"]
    deliveries = stack.deliveries()
    assert [(a["rule"], a["status"]) for a in alerts] == [("persistent_absence", "raised")]
    assert alerts[0]["figures"]["absence_rate"] >= 0.1
    assert len(cases) == 1 and cases[0]["pupil_id"] == alerts[0]["pupil_id"] and alerts[0]["case_id"] == cases[0]["id"]
    assert [(d["notice_key"], d["status"]) for d in deliveries] == [(f"alert:{alerts[0]['alert_id']}:raised", "sent")]
    assert len(stack.inbox.messages) == 1
    email = readable(stack.inbox.messages[0])
    assert "Persistent absence (10% or more)" in email and f"attendance-lead-{SCHOOL}@" in email
    assert f"/alerts/{alerts[0]['alert_id']}" in email
    assert SLIPPING not in email and STEADY not in email  # no identifiers in notifications


def readable(raw: bytes) -> str:
    """An email's headers and every text part, decoded."""
    mail = message_from_bytes(raw, policy=policy.default)
    parts = [part.get_content() for part in mail.walk() if part.get_content_maintype() == "text"]
    return "\n".join([f"To: {mail['To']}", f"Subject: {mail['Subject']}", *parts])
