"""Publishing accepted events and waiting until the broker has acknowledged every one."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from kafka import KafkaProducer
from kafka.errors import KafkaError

from services.ingest import metrics
from shared.events import Event
from shared.kafka import make_producer, publish
from shared.settings import KafkaSettings
from shared.topics import Topic

log = logging.getLogger(__name__)


class BrokerUnavailable(Exception):
    """The broker did not acknowledge in time; the client must resend the whole request."""


class Publisher:
    def __init__(self, kafka: KafkaSettings, timeout_s: float) -> None:
        self._kafka = kafka
        self._timeout_s = timeout_s
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()

    def _get_producer(self) -> KafkaProducer:
        # Built on first use so ingest starts (and answers 503) while the broker is down.
        with self._lock:
            if self._producer is None:
                try:
                    self._producer = make_producer(self._kafka, client_id="ingest")
                except KafkaError as error:
                    raise BrokerUnavailable(f"cannot reach the broker: {error}") from error
            return self._producer

    def publish_all(self, items: Sequence[tuple[Topic, Event]]) -> None:
        """Return only when every event is acknowledged (acks=all); raise BrokerUnavailable otherwise.

        A failure part-way may leave some events published: the client is told the whole
        request failed and resends it, and every consumer treats the repeats as no-ops.
        """
        producer = self._get_producer()
        started = time.perf_counter()
        try:
            futures = [publish(producer, topic, event) for topic, event in items]
            deadline = started + self._timeout_s
            for future in futures:
                future.get(timeout=max(0.0, deadline - time.perf_counter()))
        except KafkaError as error:
            log.warning("broker did not acknowledge a batch", extra={"error": type(error).__name__})
            raise BrokerUnavailable(type(error).__name__) from error
        finally:
            metrics.PUBLISH_SECONDS.observe(time.perf_counter() - started)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
