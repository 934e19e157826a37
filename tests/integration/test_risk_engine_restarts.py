"""Kill the risk engine mid-stream (SIGKILL), restart it, and check that no alert is lost or
duplicated downstream and that every pupil's figures equal the batch result."""

import datetime as dt
import signal
import time

import pytest

from infra.local.local_http import LOCAL
from infra.local.readiness import wait_until
from shared import topics
from shared.upn import make_upn
from synthetic.calendar import academic_year, school_days
from tests.integration.outcomes import (
    PUPILS,
    SCHOOL,
    assert_nothing_lost_or_duplicated,
    feed_in_background,
    held,
    processed,
    start_stack,
    term_rows,
)
from tests.integration.topics import read_topic

pytestmark = pytest.mark.integration
STORES = ["memory://", "rocksdb://"]  # the embedded default, and production's


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
    survivor is assigned every partition, restores the dead worker's tables and finishes the feed.
    Killed before its first offset commit, the dead worker's partitions were once skipped from where
    the takeover's dropped fetch left them (transport.py; test_consumer_positions.py pins it down);
    and records fetched before the takeover's seek once moved faust's read offset past it
    (test_consumer_seek.py)."""
    staff = start_stack(stack, store)
    stack.start_second_risk_engine()
    rows = term_rows()
    wait_until(lambda: held(stack, "risk_engine_2") > 0, 60, "the second worker to hold partitions")
    sender = feed_in_background(stack, rows)

    def both_working() -> bool:
        done = processed(stack, "risk_engine", "risk_engine_2")
        return processed(stack, "risk_engine_2") > 0 and done >= len(rows) // 3

    wait_until(both_working, 60, "both workers processing, a third of the marks done")
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
        assert LOCAL.post(f"{stack.url('ingest')}/v1/marks", json=rows, headers=connector).status_code == 202
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
