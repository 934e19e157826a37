"""The consumer loop referrals and notifications run, on the real broker: nothing stops it for good
(issue #10, items 9-10). A poison event is dead-lettered after a few tries and the events behind it
go on; a database that is down is waited out; an error outside the handler does not kill the thread."""

import threading

import pytest
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy.exc import OperationalError

from infra.local.readiness import wait_until
from shared import topics
from shared.consuming import ConsumerLoop, LoopState, RetryPolicy
from shared.kafka import make_producer, publish
from tests.factories import risk_alert
from tests.integration.topics import read_topic

pytestmark = pytest.mark.integration


class FlakyHandler:
    """p1 is poison (a bad value, every time); p2's database is down for its first two tries."""

    def __init__(self) -> None:
        self.handled: list[str] = []
        self.tries: dict[str, int] = {}
        self.lock = threading.Lock()

    def __call__(self, _topic, event) -> None:
        with self.lock:
            self.tries[event.pupil_id] = self.tries.get(event.pupil_id, 0) + 1
            if event.pupil_id == "p1":
                raise ValueError("NUL in a text field")
            if event.pupil_id == "p2" and self.tries["p2"] <= 2:
                raise OperationalError("INSERT", {}, ConnectionRefusedError("database is down"))
            self.handled.append(event.pupil_id)


def test_poison_is_dead_lettered_transient_failures_are_waited_out_and_the_loop_survives(kafka):
    handler, after_batch_calls = FlakyHandler(), []

    def after_batch() -> None:  # the outbox, with the database away the first time
        after_batch_calls.append(1)
        if len(after_batch_calls) == 1:
            raise OperationalError("SELECT", {}, ConnectionRefusedError("database is down"))

    counter = Counter("test_consumed_total", "consumed", ["topic", "outcome"], registry=CollectorRegistry())
    loop = ConsumerLoop(
        kafka,
        "test-group",
        (topics.RISK_ALERTS,),
        handler,
        topics.REFERRALS_DLQ,
        counter,
        after_batch=after_batch,
        retry=RetryPolicy(max_attempts=3, first_backoff_s=0.05, max_backoff_s=0.2),
    )
    loop.start()
    producer = make_producer(kafka, client_id="test")
    for pupil in ("p1", "p2", "p3"):  # one school, one pupil each: all on the partitions they hash to
        publish(producer, topics.RISK_ALERTS, risk_alert(pupil)).get(timeout=10)
    producer.close()
    try:
        # at-least-once: a batch cut short by the failing outbox is read again (real handlers are idempotent)
        wait_until(lambda: set(handler.handled) == {"p2", "p3"}, 60, "p2 and p3 to be handled")
        [(_, letter)] = read_topic(kafka, topics.REFERRALS_DLQ, 1)
        assert "ValueError after 3 tries" in letter.reason and '"pupil_id":"p1"' in letter.payload
        assert handler.tries["p1"] >= 3 and handler.tries["p2"] >= 3
        assert loop.is_alive() and len(after_batch_calls) >= 2
        wait_until(lambda: loop.health.state == LoopState.CONSUMING, 10, "the loop to report it consumes")
        healthy, parts = loop.report()
        assert healthy and parts["state"] == "consuming"
    finally:
        loop.stop()
        loop.join(timeout=15)


def test_a_batch_is_handled_in_one_go_and_falls_back_to_one_by_one_when_that_fails(kafka):
    """Marks come by the thousand: a service may take a whole batch in one transaction. If that fails,
    the batch goes record by record, so a poison event is isolated as before."""
    handled, batches = [], []

    def handle_many(events) -> None:
        batches.append(len(events))
        if len(batches) == 1:
            raise ValueError("one bad event somewhere in here")
        handled.extend(event.pupil_id for _, event in events)

    counter = Counter("test_batch_total", "consumed", ["topic", "outcome"], registry=CollectorRegistry())
    loop = ConsumerLoop(
        kafka, "batch-group", (topics.RISK_ALERTS,), lambda _t, event: handled.append(event.pupil_id),
        topics.REFERRALS_DLQ, counter, handle_many=handle_many,
    )  # fmt: skip
    loop.start()
    producer = make_producer(kafka, client_id="test")
    try:
        for pupil in ("p1", "p2"):
            publish(producer, topics.RISK_ALERTS, risk_alert(pupil)).get(timeout=10)
        wait_until(lambda: {"p1", "p2"} <= set(handled), 30, "the first batch, one by one")
        publish(producer, topics.RISK_ALERTS, risk_alert("p3")).get(timeout=10)
        wait_until(lambda: "p3" in handled and len(batches) >= 2, 30, "the next batch, in one go")
    finally:
        producer.close()
        loop.stop()
        loop.join(timeout=15)
