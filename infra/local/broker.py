"""The embedded broker `ews run` and the tests start: Tansu (the default, Python only) or Apache Kafka
(EMBEDDED_BROKER=kafka, where Java 17 and Maven are present)."""

from __future__ import annotations

from pathlib import Path

from infra.local.broker_process import BrokerFailed
from infra.local.kafka_broker import KafkaBroker
from infra.local.tansu_broker import TansuBroker
from shared.settings import EmbeddedBrokerSettings, KafkaSettings

ENGINES = ("tansu", "kafka")
__all__ = ["ENGINES", "BrokerFailed", "embedded_broker"]


def embedded_broker(
    kafka: KafkaSettings, embedded: EmbeddedBrokerSettings, data_dir: Path
) -> TansuBroker | KafkaBroker:
    """The broker EMBEDDED_BROKER names: Tansu (the default) or Apache Kafka."""
    if embedded.engine == "kafka":
        return KafkaBroker(kafka, embedded, data_dir)
    return TansuBroker(kafka, embedded, data_dir)
