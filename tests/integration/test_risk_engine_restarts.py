"""Kill the risk engine mid-stream (SIGKILL), restart it, and check that no alert is lost or
duplicated downstream and that every pupil's figures equal the batch result."""

import datetime as dt
import signal
import threading
import time

import httpx
import pytest

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

pytestmark = pytest.mark.integration
SCHOOL = "123456"
PUPILS = 40
STORES = ["memory://", "rocksdb://"]  # the embedded default, and production's


def term_rows() -> list[dict]:
    """40 pupils through the autumn term; a third of them slip into persistent absence, in different ways."""
    days = [day for day, term in school_days(*academic_year(2025)) if term == "autumn"]
    rows = []
    for index, day in enumerate(days):
        for pupil in range(PUPILS):
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


def assert_nothing_lost_or_duplicated(stack, kafka, staff: dict[str, str], rows: list[dict]) -> None:
    """Every alert the batch computation expects exists with its last status and was emailed once
    per raise or escalation; one case per pupil; every pupil's figures equal the batch result."""
    states, transitions = expected_outcome(rows, stack.env["INGEST_PSEUDONYM_KEY"].encode())
    emails_expected = {(a, t) for a, ts in transitions.items() for t in ts if t in ("raised", "escalated")}
    assert len(emails_expected) >= 10  # the scenario does exercise alerts

    def delivered() -> set:
        return {tuple(d["notice_key"].split(":")[1:]) for d in stack.deliveries()}  # alert:<id>:<transition>

    wait_until(lambda: delivered() >= emails_expected, 90, "every expected email")
    time.sleep(3)  # anything extra still in flight would show now
    assert delivered() == emails_expected
    sent = [d for d in stack.deliveries() if d["status"] == "sent"]
    wait_until(lambda: len(stack.inbox.messages) >= len(sent), 30, "the sent emails to arrive")
    assert len(stack.inbox.messages) == len(sent)  # no email sent twice

    alerts = httpx.get(f"{stack.url('referrals')}/v1/alerts?limit=500", headers=staff).json()["items"]
    assert {a["alert_id"]: a["status"] for a in alerts} == {a: ts[-1] for a, ts in transitions.items()}
    cases = httpx.get(f"{stack.url('referrals')}/v1/cases?limit=500", headers=staff).json()["items"]
    assert len(cases) == len({a["pupil_id"] for a in alerts if a["case_id"]})

    snapshots = {}
    for _, snapshot in read_topic(kafka, topics.PUPIL_ATTENDANCE, PUPILS, quiet_s=3):
        snapshots[snapshot.pupil_id] = snapshot  # the latest per pupil, as compaction would keep
    expected = {
        pupil: (len(codes), sum(code in ("N", "I") for code in codes))
        for pupil, state in states.items()
        for codes in [[code for *_, code in sessions_in(state["records"])]]
    }
    assert {p: (s.possible, s.authorised + s.unauthorised) for p, s in snapshots.items()} == expected


@pytest.mark.parametrize("store", STORES)
def test_sigkill_mid_stream_loses_and_duplicates_nothing(stack, kafka, store):
    staff = start_stack(stack, store)
    rows = term_rows()
    sender = feed_in_background(stack, rows)
    wait_until(lambda: processed(stack, "risk_engine") >= len(rows) // 3, 60, "a third processed")
    stack.stop("risk_engine", signal.SIGKILL)
    killed_at = time.monotonic()
    stack.start("risk_engine")
    wait_until(lambda: processed(stack, "risk_engine") > 0, 60, "the engine to resume")
    resumed_after = time.monotonic() - killed_at
    sender.join()
    assert_nothing_lost_or_duplicated(stack, kafka, staff, rows)
    print(f"risk engine ({store}) resumed {resumed_after:.1f} s after SIGKILL")


@pytest.mark.parametrize("store", STORES)
def test_the_surviving_worker_takes_over_a_killed_workers_partitions(stack, kafka, store):
    """Two workers share the marks' partitions; one is killed mid-stream and never comes back. The
    survivor is assigned every partition, restores the dead worker's tables and finishes the feed."""
    staff = start_stack(stack, store)
    stack.start_second_risk_engine()
    rows = term_rows()
    wait_until(lambda: held(stack, "risk_engine_2") > 0, 60, "the second worker to hold partitions")
    sender = feed_in_background(stack, rows)
    wait_until(lambda: processed(stack, "risk_engine", "risk_engine_2") >= len(rows) // 3, 60, "a third processed")
    assert processed(stack, "risk_engine_2") > 0  # both workers were working
    stack.stop("risk_engine_2", signal.SIGKILL)
    wait_until(lambda: held(stack, "risk_engine") == kafka.pupil_partitions, 60, "the takeover")
    sender.join()
    assert_nothing_lost_or_duplicated(stack, kafka, staff, rows)


@pytest.mark.parametrize("store", STORES)
def test_state_written_as_one_changelog_batch_survives_a_graceful_restart(stack, kafka, store):
    """Every pupil's state from one take goes to the changelog as one batch per partition; all of
    it must be restored, not only the records the broker's end offset admits to."""
    stack.env["RISK_ENGINE_STORE"] = store
    connector = {"Authorization": f"Bearer {stack.connector_key('mis', [SCHOOL])}"}
    stack.start("ingest", "risk_engine")
    day = next(day for day, _ in school_days(*academic_year(2025)))

    def post(session: str, code: str) -> None:
        rows = [
            {"school_urn": SCHOOL, "upn": make_upn(807, 4001, 18, pupil), "date": day.isoformat(),
             "session": session, "code": code,
             "recorded_at": dt.datetime.combine(day, dt.time(9, 30), tzinfo=dt.UTC).isoformat()}
            for pupil in range(PUPILS)
        ]  # fmt: skip
        assert httpx.post(f"{stack.url('ingest')}/v1/marks", json=rows, headers=connector).status_code == 202
        wait_until(
            lambda: stack.metric("risk_engine", "risk_engine_events_total") >= PUPILS, 30, f"the {session} marks"
        )

    post("AM", "/")
    stack.stop("risk_engine")  # SIGTERM: the AM marks' offsets are committed
    stack.start("risk_engine")
    post("PM", "\\")

    latest = {}
    for _, snapshot in read_topic(kafka, topics.PUPIL_ATTENDANCE, 2 * PUPILS, quiet_s=1):
        latest[snapshot.pupil_id] = snapshot
    assert len(latest) == PUPILS
    assert {snapshot.possible for snapshot in latest.values()} == {2}  # AM restored, PM added
