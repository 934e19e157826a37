"""Send many records at once: one aiokafka batch per topic partition, acknowledged together.

faust sends every record through its own buffer, with a future, a pending message and
callbacks each; on this machine that cost about 0.3 ms a record and was most of the
engine's time. A take's alerts, states and snapshots go out here as a few batches instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition
from tenacity import AsyncRetrying, before_sleep_log, retry_if_exception_type, stop_after_delay, wait_exponential_jitter

from shared.settings import KafkaSettings

log = logging.getLogger(__name__)

MAX_BATCH_BYTES = 512 * 1024  # where batches are cut: well under the broker's 1 MiB default message limit
BUILDER_BYTES = 2 * MAX_BATCH_BYTES  # room for a unit that starts just before the cut
RECORD_OVERHEAD = 64  # a record's framing in a batch, at most (lengths, offsets, timestamp)


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    partition: int
    key: bytes
    value: bytes
    with_previous: bool = False  # in the same batch as the record before it: the broker keeps all or none


def plan_batches(records: list[Record], limit: int = MAX_BATCH_BYTES) -> list[list[Record]]:
    """One partition's records, in order, cut into batches of about `limit` bytes; never between a
    record and the ones `with_previous` after it (a pupil's stored pieces must land together)."""
    batches: list[list[Record]] = []
    size = limit  # so that the first record starts a batch
    for record in records:
        grows = len(record.key) + len(record.value) + RECORD_OVERHEAD
        if not batches or (not record.with_previous and size + grows > limit):
            batches.append([])
            size = 0
        batches[-1].append(record)
        size += grows
    return batches


class BatchProducer:
    def __init__(self, kafka: KafkaSettings, client_id: str, retry_for_s: float = 60.0) -> None:
        self._kafka, self._client_id, self._retry_for_s = kafka, client_id, retry_for_s
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        # aiokafka binds to the running loop, so the producer is made here, not in __init__.
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._kafka.bootstrap_servers,
            client_id=self._client_id,
            acks="all",
            # Tansu answers aiokafka's InitProducerId with an unknown error; a retried batch
            # can only repeat records whose effects are idempotent (state, snapshot, alert id).
            enable_idempotence=False,
            max_batch_size=BUILDER_BYTES,
            request_timeout_ms=self._kafka.request_timeout_ms,
        )
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def send(self, records: list[Record]) -> dict[TopicPartition, int]:
        """Send `records` (in order within each partition) and wait until the broker has
        acknowledged every one; returns the last offset written to each partition.

        A broker that does not answer is retried (bounded, with backoff): resending records
        already written only repeats idempotent effects. Past the bound the error is raised.
        """
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(KafkaError),
            wait=wait_exponential_jitter(multiplier=0.2, max=5),
            stop=stop_after_delay(self._retry_for_s),
            before_sleep=before_sleep_log(log, logging.WARNING),
            reraise=True,
        )
        return await retrying(self._send_once, records)

    async def _send_once(self, records: list[Record]) -> dict[TopicPartition, int]:
        by_partition: dict[TopicPartition, list[Record]] = defaultdict(list)
        for record in records:
            by_partition[TopicPartition(record.topic, record.partition)].append(record)
        sent = []
        for tp, partition_records in by_partition.items():
            for batch in plan_batches(partition_records):
                builder = self._producer.create_batch()
                for record in batch:
                    if builder.append(key=record.key, value=record.value, timestamp=None) is None:
                        raise ValueError(f"records for {tp.topic} too large for one batch ({builder.size()} bytes)")
                future = await self._producer.send_batch(builder, tp.topic, partition=tp.partition)
                sent.append((tp, len(batch), future))
        written = await asyncio.gather(*(future for _, _, future in sent))
        return {tp: metadata.offset + count - 1 for (tp, count, _), metadata in zip(sent, written, strict=True)}
