"""A consumer loop for services that keep their own database (referrals, notifications).

At-least-once with idempotent handlers: the handler commits its own database
transaction per event, and offsets are committed only after that. Undecodable
events go to the service's dead-letter topic and never stop the stream.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from kafka.errors import KafkaError
from prometheus_client import Counter
from pydantic import ValidationError

from shared.events import Event
from shared.kafka import dead_letter, make_consumer, make_producer, publish
from shared.settings import KafkaSettings
from shared.topics import Topic

log = logging.getLogger(__name__)

Handler = Callable[[Topic, Event], None]


class ConsumerLoop(threading.Thread):
    def __init__(
        self,
        kafka: KafkaSettings,
        group_id: str,
        topics: Iterable[Topic],
        handle: Handler,
        dead_letters: Topic,
        consumed: Counter,
        after_batch: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(name=f"consumer-{group_id}", daemon=True)
        self._kafka = kafka
        self._group_id = group_id
        self._topics = {topic.name: topic for topic in topics}
        self._handle = handle
        self._dead_letters = dead_letters
        self._consumed = consumed
        self._after_batch = after_batch
        self._stopping = threading.Event()
        self.last_poll: float = 0.0

    @property
    def healthy(self) -> bool:
        return self.is_alive() and time.time() - self.last_poll < 30

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._consume()
            except KafkaError as error:
                log.warning("consumer lost the broker; reconnecting", extra={"error": type(error).__name__})
                self._stopping.wait(2)

    def _consume(self) -> None:
        consumer = make_consumer(self._kafka, self._group_id, self._topics.values(), client_id=self._group_id)
        producer = make_producer(self._kafka, client_id=f"{self._group_id}-dlq")
        try:
            while not self._stopping.is_set():
                batch = consumer.poll(timeout_ms=500)
                self.last_poll = time.time()
                if not batch:
                    continue
                failed = False
                for partition, records in batch.items():
                    for record in records:
                        if failed:
                            consumer.seek(partition, record.offset)
                            break
                        if not self._process(producer, record):
                            consumer.seek(partition, record.offset)
                            failed = True
                            break
                self._after_batch()
                consumer.commit()  # positions reflect only handled records
                if failed:
                    self._stopping.wait(2)
        finally:
            consumer.close()
            producer.close(timeout=5)

    def _process(self, producer, record) -> bool:
        topic = self._topics[record.topic]
        try:
            event = topic.decode(record.value)
        except ValidationError as error:
            reason = f"undecodable {topic.value_type.__name__}: {error.errors()[0]['msg']}"
            publish(producer, self._dead_letters, dead_letter(record, reason)).get(timeout=10)
            self._consumed.labels(topic.name, "dead_lettered").inc()
            log.warning("dead-lettered event", extra={"topic": record.topic, "offset": record.offset})
            return True
        try:
            self._handle(topic, event)
        except Exception:
            log.exception("handler failed; will retry", extra={"topic": record.topic, "offset": record.offset})
            self._consumed.labels(topic.name, "failed").inc()
            return False
        self._consumed.labels(topic.name, "handled").inc()
        return True
