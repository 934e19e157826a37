"""What a run of the real system should end with, computed in batch from the marks sent, and the checks
that it did: shared by the restart, takeover and chaos tests."""

import collections
import contextlib
import datetime as dt
import email
import threading
import time

import httpx

from infra.local.local_http import LOCAL
from infra.local.readiness import wait_until
from services.ingest.pseudonym import pupil_id_for
from services.referrals.staff import Role
from services.risk_engine.attendance import sessions_in
from services.risk_engine.engine import Context, process_mark
from services.risk_engine.rules import Thresholds
from shared import topics
from shared.calendar import SchoolDays
from shared.codes import current_table
from shared.events import AttendanceMark
from shared.upn import make_upn
from synthetic.calendar import academic_year, school_days
from tests.integration.topics import read_topic

SCHOOL = "123456"
PUPILS = 40


def term_rows(pupils: int = PUPILS) -> list[dict]:
    """Pupils through the autumn term; a third of them slip into persistent absence, in different ways."""
    days = [day for day, term in school_days(*academic_year(2025)) if term == "autumn"]
    rows = []
    for index, day in enumerate(days):
        for pupil in range(pupils):
            absent = pupil % 3 == 0 and (index % (4 + pupil % 5) == 0 or 30 <= index < 30 + pupil % 7)
            code = ("N" if pupil % 2 else "I") if absent else None
            for session, present in (("AM", "/"), ("PM", "\\")):
                rows.append(
                    {"school_urn": SCHOOL, "upn": make_upn(807, 4001, 18, pupil), "date": day.isoformat(),
                     "session": session, "code": code or present,
                     "recorded_at": dt.datetime.combine(day, dt.time(9, 30), tzinfo=dt.UTC).isoformat()}
                )  # fmt: skip
    return rows


def expected_outcome(rows: list[dict], key: bytes):
    """The batch answer: the pure engine over the marks in the order they were sent. Returns each
    pupil's state, and every alert's transitions in order."""
    context, states, transitions = Context(current_table(), Thresholds(), SchoolDays()), {}, {}
    for row in rows:
        mark = AttendanceMark(pupil_id=pupil_id_for(row["upn"], key), **{k: v for k, v in row.items() if k != "upn"})
        step = process_mark(states.get(mark.pupil_id), mark, context)
        if step.changed:
            states[mark.pupil_id] = step.state
            for alert in step.alerts:
                transitions.setdefault(alert.alert_id, []).append(alert.transition)
    return states, transitions


def start_stack(stack, store: str) -> dict[str, str]:
    """The four services on `store`, and a lead who hears of alerts at once; returns the LA officer's
    headers. RISK_ENGINE_PROCESSING_GUARANTEE passes through, for the exactly-once trial."""
    stack.env["RISK_ENGINE_STORE"] = store
    staff = {"Authorization": f"Bearer {stack.staff_token(Role.LA_ATTENDANCE_OFFICER, None)}"}
    stack.recipient("Lead", "attendance_lead", "lead@school.invalid", SCHOOL, timing="immediate")
    stack.start()
    return staff


def feed_in_background(stack, rows: list[dict]) -> threading.Thread:
    connector = {"Authorization": f"Bearer {stack.connector_key('mis', [SCHOOL])}"}

    def publish() -> None:
        with httpx.Client(base_url=stack.url("ingest"), headers=connector, timeout=60) as client:
            for start in range(0, len(rows), 400):
                assert client.post("/v1/marks", json=rows[start : start + 400]).status_code == 202
                time.sleep(0.05)

    sender = threading.Thread(target=publish)
    sender.start()
    return sender


def processed(stack, *workers: str) -> float:
    return sum(stack.metric(worker, "risk_engine_events_total") for worker in workers)


def held(stack, worker: str) -> float:
    return stack.metric(worker, "risk_engine_assigned_partitions")


def message_ids(inbox: list[bytes]) -> collections.Counter:
    return collections.Counter(email.message_from_bytes(raw)["Message-ID"] for raw in inbox)


def assert_nothing_lost_or_duplicated(
    stack, kafka, staff: dict[str, str], rows: list[dict], *, resends_allowed: int = 0, wait_s: float = 90
) -> dict:
    """Every alert the batch computation expects exists with its last status and was emailed once per
    raise or escalation (`resends_allowed` emails may go twice, with the same Message-ID: the crash
    window between a relay's acceptance and the delivery log's commit); one delivery per event,
    recipient and channel; one case per pupil; every pupil's figures equal the batch result.
    Returns the figures."""
    states, transitions = expected_outcome(rows, stack.env["INGEST_PSEUDONYM_KEY"].encode())
    emails_expected = {(a, t) for a, ts in transitions.items() for t in ts if t in ("raised", "escalated")}
    assert len(emails_expected) >= 10  # the scenario does exercise alerts

    def delivered() -> set:
        return {tuple(d["notice_key"].split(":")[1:]) for d in stack.deliveries()}  # alert:<id>:<transition>

    wait_until(lambda: delivered() >= emails_expected, wait_s, "every expected email")
    time.sleep(3)  # anything extra still in flight would show now
    deliveries = stack.deliveries()
    assert delivered() == emails_expected
    assert len({(d["notice_key"], d["recipient_id"], d["channel"]) for d in deliveries}) == len(deliveries)
    sent = [d for d in deliveries if d["status"] == "sent"]
    wait_until(lambda: len(message_ids(stack.inbox.messages)) >= len(sent), 30, "the sent emails to arrive")
    received = message_ids(stack.inbox.messages)
    assert len(received) == len(sent)  # every sent delivery arrived, as one message
    resent = sum(received.values()) - len(received)
    assert resent <= resends_allowed, f"{resent} emails sent twice"

    # A last transition that sends no email (resolved, de-escalated) may still be on its way to
    # referrals, which can sit out a session timeout after a kill before it consumes again.
    statuses = {alert: steps[-1] for alert, steps in transitions.items()}

    def recorded() -> list[dict]:
        return LOCAL.get(f"{stack.url('referrals')}/v1/alerts?limit=500", headers=staff).json()["items"]

    settling = time.monotonic()
    with contextlib.suppress(AssertionError):  # if it never settles, the assertion below shows the difference
        wait_until(lambda: {a["alert_id"]: a["status"] for a in recorded()} == statuses, wait_s, "the last statuses")
    settled_s = round(time.monotonic() - settling, 1)  # after every email: nonzero is referrals catching up
    alerts = recorded()
    assert {a["alert_id"]: a["status"] for a in alerts} == statuses
    cases = LOCAL.get(f"{stack.url('referrals')}/v1/cases?limit=500", headers=staff).json()["items"]
    assert len(cases) == len({a["pupil_id"] for a in alerts if a["case_id"]})

    snapshots = {}
    for _, snapshot in read_topic(kafka, topics.PUPIL_ATTENDANCE, len(states), quiet_s=3):
        snapshots[snapshot.pupil_id] = snapshot  # the latest per pupil, as compaction would keep
    expected = {
        pupil: (len(codes), sum(code in ("N", "I") for code in codes))
        for pupil, state in states.items()
        for codes in [[code for *_, code in sessions_in(state["records"])]]
    }
    assert {p: (s.possible, s.authorised + s.unauthorised) for p, s in snapshots.items()} == expected
    return {"marks": len(rows), "pupils": len(states), "alerts": len(transitions), "emails": len(sent),
            "emails_sent_twice": resent, "cases": len(cases), "statuses_settled_s": settled_s}  # fmt: skip
