"""Nothing lost when anything dies: under a steady feed (at least 200 marks/s) on Apache Kafka with
its log on disk and PostgreSQL for the services, kill -9 each process in turn at random moments
(ingest, the risk engine, referrals, notifications, the broker, the database) and start it again;
then every mark accepted is in the engine's state, every alert the batch computation expects exists
once with its last status, one case per pupil, one delivery per event, recipient and channel, and
an email goes twice only from the crash window of a notifications kill, with the same Message-ID.

CI runs one round over 60 pupils; `make chaos` runs the long one (EWS_CHAOS_ROUNDS, EWS_CHAOS_PUPILS,
EWS_CHAOS_SEED to repeat a run). The figures are printed (pytest -s)."""

from __future__ import annotations

import os
import random
import signal
import threading
import time

import httpx
import pytest

from services.referrals.staff import Role
from tests.integration.outcomes import SCHOOL, assert_nothing_lost_or_duplicated, term_rows
from tests.integration.private_postgres import PrivatePostgres, unavailable
from tests.integration.stack import Stack

# The long run (make chaos) feeds for several minutes: past the suite's 300 s per test.
pytestmark = [pytest.mark.integration, pytest.mark.chaos, pytest.mark.broker("kafka"), pytest.mark.timeout(3600)]
SERVICES = ("ingest", "risk_engine", "referrals", "notifications")
TARGETS = (*SERVICES, "broker", "database")
DATABASES = {"ingest": "INGEST_DATABASE_URL", "referrals": "REFERRALS_DATABASE_URL",
             "notifications": "NOTIFICATIONS_DATABASE_URL"}  # fmt: skip
MARKS_PER_SECOND = 200
BATCH = 50


@pytest.fixture
def private_postgres():
    reason = unavailable()
    if reason:
        pytest.skip(f"the chaos test kills its own PostgreSQL: {reason}")
    server = PrivatePostgres(tuple(DATABASES))
    server.start()
    server.create_databases()
    yield server
    server.stop()


class Connector:
    """An MIS connector at a steady rate: each batch resent (after a pause) until it is accepted, then
    the batches that fell due meanwhile sent back to back until it is on schedule again."""

    def __init__(self, url: str, key: str, rows: list[dict]) -> None:
        self.url, self.key, self.rows = url, key, rows
        self.refused = 0
        self.refused_s = 0.0  # from a batch's first failed attempt to its acceptance, summed: nothing got in
        self.accepted_at: list[float] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=15) as client:
            due = time.monotonic()
            for start in range(0, len(self.rows), BATCH):
                first_try, refused_before = time.monotonic(), self.refused
                while True:
                    try:
                        status = client.post("/v1/marks", json=self.rows[start : start + BATCH]).status_code
                    except httpx.HTTPError:
                        status = None
                    if status == 202:
                        break
                    assert status is None or status >= 500, f"ingest refused good marks: {status}"
                    self.refused += 1
                    time.sleep(0.5)
                self.accepted_at.append(time.monotonic())
                if self.refused > refused_before:
                    self.refused_s += self.accepted_at[-1] - first_try
                due += BATCH / MARKS_PER_SECOND
                time.sleep(max(0.0, due - time.monotonic()))

    @property
    def feeding(self) -> bool:
        return self.thread.is_alive()


def kill_and_restart(target: str, stack: Stack, broker, database: PrivatePostgres) -> float:
    """kill -9 one process, start it again; returns the seconds until it answered again."""
    started = time.monotonic()
    if target == "broker":
        broker.kill_broker()
        time.sleep(1)
        broker.start_broker()
    elif target == "database":
        database.kill()
        time.sleep(1)
        database.restart()
    else:
        stack.stop(target, signal.SIGKILL)
        stack.start(target)
    return time.monotonic() - started


def test_nothing_is_lost_when_each_process_is_killed_in_turn(tmp_path, durable_broker, private_postgres, capsys):
    rounds = int(os.environ.get("EWS_CHAOS_ROUNDS", "1"))
    pupils = int(os.environ.get("EWS_CHAOS_PUPILS", "60"))
    seed = int(os.environ.get("EWS_CHAOS_SEED", str(random.randrange(10**6))))
    chance = random.Random(seed)
    with capsys.disabled():
        print(f"\nchaos: seed {seed} (EWS_CHAOS_SEED={seed} repeats this run's kill times and order)")
    rows = term_rows(pupils) * rounds  # each round resends the term: duplicates must change nothing
    with Stack(tmp_path, durable_broker.kafka.bootstrap_servers) as stack:
        stack.env.update({env: private_postgres.url(name) for name, env in DATABASES.items()})
        stack.env["RISK_ENGINE_STORE"] = "rocksdb://"
        staff = {"Authorization": f"Bearer {stack.staff_token(Role.LA_ATTENDANCE_OFFICER, None)}"}
        stack.recipient("Lead", "attendance_lead", "lead@school.invalid", SCHOOL, timing="immediate")
        stack.start()
        connector = Connector(stack.url("ingest"), stack.connector_key("mis", [SCHOOL]), rows)
        feed_s = len(rows) / MARKS_PER_SECOND
        schedule = [target for _ in range(rounds) for target in chance.sample(TARGETS, len(TARGETS))]
        began = time.monotonic()
        connector.thread.start()
        outages = []
        for index, target in enumerate(schedule):
            moment = (index + chance.uniform(0.2, 0.8)) * feed_s / (len(schedule) + 1)
            time.sleep(max(0.0, began + moment - time.monotonic()))
            at = time.monotonic() - began
            back_after = kill_and_restart(target, stack, durable_broker, private_postgres)
            outages.append((target, round(at, 1), round(back_after, 1)))
        connector.thread.join(timeout=feed_s * 3 + 300)
        assert not connector.feeding, "the connector never got every batch accepted"
        fed_s = connector.accepted_at[-1] - began
        with capsys.disabled():  # before the checks, so a failing run says what was killed when
            print(f"chaos: killed (what, at s, back after s): {outages}")
        figures = assert_nothing_lost_or_duplicated(
            stack, durable_broker.kafka, staff, rows, resends_allowed=schedule.count("notifications"), wait_s=300
        )
    with capsys.disabled():
        # A kill late in the feed leaves no time to catch up on what it held back, so the whole run's rate
        # can fall under the rate offered; the rate while batches were accepted shows the stack kept up.
        accepting_s = fed_s - connector.refused_s
        print(f"chaos (seed {seed}): {len(rows)} marks offered at {MARKS_PER_SECOND}/s, all accepted in "
              f"{fed_s:.0f} s ({len(rows) / fed_s:.0f} marks/s); {connector.refused_s:.0f} s from failed attempts "
              f"to acceptance ({connector.refused} batches resent), {len(rows) / accepting_s:.0f} marks/s the rest "
              f"of the time; "
              f"{figures}")  # fmt: skip
