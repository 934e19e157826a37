"""A consumer loop for services that keep their own database (referrals, notifications).

At-least-once with idempotent handlers: the handler commits its own database transaction per
event, and offsets are committed only after that. Nothing stops the loop for good:
- an undecodable event goes to the service's dead-letter topic at once;
- a transient failure (database or broker unreachable) is retried with backoff, as long as it lasts;
- any other failure is retried a few times, then the event goes to the dead-letter topic with the
  reason, so one poison event never blocks the ones behind it;
- the loop itself reconnects after any error. `/health` reports its state.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kafka.errors import KafkaError
from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from shared.events import Event
from shared.invalid import first_problem
from shared.kafka import dead_letter, make_consumer, make_producer, publish
from shared.settings import KafkaSettings
from shared.topics import Topic

log = logging.getLogger(__name__)

Handler = Callable[[Topic, Event], None]
BatchHandler = Callable[[list[tuple[Topic, Event]]], None]
TRANSIENT = (OperationalError, InterfaceError, DisconnectionError, KafkaError, ConnectionError, TimeoutError)


def is_transient(error: BaseException) -> bool:
    """Will trying again later help? Databases and brokers come back; a bad value does not."""
    return isinstance(error, TRANSIENT)


class LoopState(enum.StrEnum):
    STARTING = "starting"
    CONSUMING = "consuming"
    RETRYING = "retrying"  # an event keeps failing; the loop backs off and tries again
    RECONNECTING = "reconnecting"  # the loop lost the broker (or crashed) and starts again


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5  # for failures that are not transient, before the event is dead-lettered
    first_backoff_s: float = 0.5
    max_backoff_s: float = 30.0

    def backoff(self, attempt: int) -> float:
        return min(self.max_backoff_s, self.first_backoff_s * 2 ** max(0, attempt - 1))


@dataclass
class LoopHealth:
    state: LoopState = LoopState.STARTING
    last_poll: float = 0.0
    failing_since: float | None = None
    last_error: str | None = None
    attempts: dict[tuple[str, int, int], int] = field(default_factory=dict)

    def report(self, alive: bool, now: float, patience_s: float) -> tuple[bool, dict]:
        polled_recently = now - self.last_poll < 30
        failing_long = self.failing_since is not None and now - self.failing_since > patience_s
        healthy = alive and polled_recently and not failing_long
        return healthy, {
            "state": self.state if alive else "stopped",
            "seconds_since_poll": round(now - self.last_poll, 1) if self.last_poll else None,
            "last_error": self.last_error,
        }


class ConsumerLoop(threading.Thread):
    def __init__(
        self,
        kafka: KafkaSettings,
        group_id: str,
        topics: Iterable[Topic],
        handle: Handler,
        dead_letters: Topic,
        consumed: Counter,
        *,
        after_batch: Callable[[], None] = lambda: None,
        handle_many: BatchHandler | None = None,
        transient: Callable[[BaseException], bool] = is_transient,
        retry: RetryPolicy = RetryPolicy(),
        patience_s: float = 60.0,
    ) -> None:
        super().__init__(name=f"consumer-{group_id}", daemon=True)
        self._kafka, self._group_id = kafka, group_id
        self._topics = {topic.name: topic for topic in topics}
        self._handle, self._dead_letters, self._consumed = handle, dead_letters, consumed
        self._after_batch, self._transient, self._retry, self._patience_s = after_batch, transient, retry, patience_s
        self._handle_many = handle_many
        self._stopping = threading.Event()
        self.health = LoopHealth()

    def report(self) -> tuple[bool, dict]:
        return self.health.report(self.is_alive(), time.time(), self._patience_s)

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                self._consume()
            except Exception as error:  # never die: a dead consumer behind a live API is the worst case
                failures += 1
                self._failed(error, "the consumer loop failed; reconnecting", LoopState.RECONNECTING)
                self._stopping.wait(self._retry.backoff(failures))
            else:
                failures = 0

    def _consume(self) -> None:
        consumer = make_consumer(self._kafka, self._group_id, self._topics.values(), client_id=self._group_id)
        producer = make_producer(self._kafka, client_id=f"{self._group_id}-dlq")
        try:
            while not self._stopping.is_set():
                batch = consumer.poll(timeout_ms=500)
                self.health.last_poll = time.time()
                if not batch:
                    continue
                backoff = self._process_batch(consumer, producer, batch)
                self._after_batch()
                consumer.commit()  # positions reflect only finished records
                if backoff:
                    self._stopping.wait(backoff)
        finally:
            consumer.close()
            producer.close(timeout=5)

    def _process_batch(self, consumer, producer, batch) -> float:
        """Handle the batch in one go where the service can (one transaction: much faster for marks);
        otherwise, or when that fails, each record in order, rewinding to one that must be retried."""
        if self._handle_many is not None and self._handled_together(batch):
            return 0.0
        partitions = list(batch.items())
        for index, (partition, records) in enumerate(partitions):
            for record in records:
                backoff = self._process(producer, record)
                if backoff:
                    consumer.seek(partition, record.offset)
                    for later, pending in partitions[index + 1 :]:
                        consumer.seek(later, pending[0].offset)
                    return backoff
        return 0.0

    def _handled_together(self, batch) -> bool:
        """True when every record decoded and the batch handler took them all; False sends the batch
        record by record, where dead letters and retries isolate whatever failed."""
        try:
            events = [
                (self._topics[r.topic], self._topics[r.topic].decode(r.value)) for rs in batch.values() for r in rs
            ]
        except ValidationError:
            return False
        try:
            self._handle_many(events)
        except Exception as error:
            log.info("a batch failed as a whole; handling it record by record", extra={"error": type(error).__name__})
            return False
        for topic, _ in events:
            self._consumed.labels(topic.name, "handled").inc()
        self.health.state, self.health.failing_since = LoopState.CONSUMING, None
        return True

    def _process(self, producer, record) -> float:
        """0 when the record is finished with (handled or dead-lettered), else the backoff before a retry."""
        topic = self._topics[record.topic]
        try:
            event = topic.decode(record.value)
        except ValidationError as error:
            return self._dead_letter(
                producer, record, f"undecodable {topic.value_type.__name__}: {first_problem(error)}"
            )
        key = (record.topic, record.partition, record.offset)
        try:
            self._handle(topic, event)
        except Exception as error:
            attempt = self.health.attempts[key] = self.health.attempts.get(key, 0) + 1
            self._consumed.labels(topic.name, "failed").inc()
            if not self._transient(error) and attempt >= self._retry.max_attempts:
                self.health.attempts.pop(key, None)
                return self._dead_letter(producer, record, f"{type(error).__name__} after {attempt} tries: {error}")
            self._failed(error, "an event failed; will retry", LoopState.RETRYING)
            return self._retry.backoff(attempt)
        self.health.attempts.pop(key, None)
        self.health.state, self.health.failing_since = LoopState.CONSUMING, None
        self._consumed.labels(topic.name, "handled").inc()
        return 0.0

    def _dead_letter(self, producer, record, reason: str) -> float:
        publish(producer, self._dead_letters, dead_letter(record, reason[:1000])).get(timeout=10)
        self._consumed.labels(record.topic, "dead_lettered").inc()
        log.warning("dead-lettered an event", extra={"topic": record.topic, "offset": record.offset})
        return 0.0

    def _failed(self, error: BaseException, message: str, state: LoopState) -> None:
        self.health.state = state
        self.health.last_error = type(error).__name__
        if self.health.failing_since is None:
            self.health.failing_since = time.time()
        # The type only: an error's text can carry values from the event.
        log.warning(message, extra={"error": type(error).__name__})
