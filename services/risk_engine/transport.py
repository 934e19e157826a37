"""faust's aiokafka transport with the consumer's fetch wait made configurable.

faust-streaming 0.15.3 hard-codes fetch_max_wait_ms=1500 for worker consumers, and
Tansu always waits out the fetch wait, which put a forwarding agent's p99 near 2 s.
"""

from __future__ import annotations

from faust.transport.drivers import aiokafka as faust_aiokafka

from shared.settings import kafka_settings


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport):
        consumer = super()._create_worker_consumer(transport)
        # aiokafka reads this when start() builds its fetcher.
        consumer._fetch_max_wait_ms = kafka_settings().fetch_max_wait_ms
        return consumer


class Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    Consumer = Consumer
