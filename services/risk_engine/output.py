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

MAX_BATCH_BYTES = 512 * 1024  # well under the broker's 1 MiB default message limit


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    partition: int
    key: bytes
    value: bytes


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
            max_batch_size=MAX_BATCH_BYTES,
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
            builder, count = self._producer.create_batch(), 0
            for record in partition_records:
                if builder.append(key=record.key, value=record.value, timestamp=None) is None:
                    sent.append((tp, count, await self._producer.send_batch(builder, tp.topic, partition=tp.partition)))
                    builder, count = self._producer.create_batch(), 0
                    builder.append(key=record.key, value=record.value, timestamp=None)  # an empty batch takes any one
                count += 1
            sent.append((tp, count, await self._producer.send_batch(builder, tp.topic, partition=tp.partition)))
        written = await asyncio.gather(*(future for _, _, future in sent))
        return {tp: metadata.offset + count - 1 for (tp, count, _), metadata in zip(sent, written, strict=True)}
