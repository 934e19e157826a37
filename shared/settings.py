"""Settings shared by every service; each service adds its own with an env prefix.

Built by cached getters, never at import, so tests can set the environment first.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KAFKA_")

    bootstrap_servers: str = Field(
        "127.0.0.1:19092",
        description="Broker address list. Unset, `ews run` starts the embedded broker at this address.",
    )
    pupil_partitions: int = Field(4, ge=1, description="Partitions of every pupil-scoped topic (co-partitioned)")
    request_timeout_ms: int = Field(10_000, description="How long a produce may wait for the broker's ack")
    # Tansu holds a group's first join for half the session timeout: 6 s / 1 s
    # heartbeat resumed in ~5 s after a clean stop where the 45-60 s defaults took 30-110 s.
    session_timeout_ms: int = Field(6_000, description="Consumer group session timeout")
    heartbeat_interval_ms: int = Field(1_000, description="Consumer heartbeat interval")
    # Tansu always waits out the fetch wait; 20 ms keeps same-day latency well under 1 s.
    fetch_max_wait_ms: int = Field(20, description="Longest a fetch waits for new records")


class EmbeddedBrokerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EMBEDDED_BROKER_", populate_by_name=True)

    engine: Literal["tansu", "kafka"] = Field(
        "tansu",
        validation_alias="EMBEDDED_BROKER",
        description="tansu: the Kafka-protocol broker from a Python wheel. "
        "kafka: Apache Kafka, assembled from Maven Central (needs Java 17 and Maven).",
    )
    storage: Literal["memory", "s3"] = Field(
        "memory",
        description="Tansu only. memory: fast, everything gone at stop. s3: durable on a local SeaweedFS under the "
        "data folder. Apache Kafka always keeps its log on disk under the data folder.",
    )
    s3_port: int = Field(18333, description="SeaweedFS S3 port (s3 storage only)")
    seaweed_master_port: int = Field(19333, description="SeaweedFS master port (s3 storage only)")
    seaweed_volume_port: int = Field(18080, description="SeaweedFS volume port (s3 storage only)")
    seaweed_filer_port: int = Field(18888, description="SeaweedFS filer port (s3 storage only)")
    kafka_controller_port: int = Field(19093, description="Apache Kafka's KRaft controller port (kafka only)")
    ready_timeout_s: float = Field(60.0, description="How long to wait for the broker to accept connections")


class DataSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EWS_")

    data_dir: Path = Field(Path("data"), description="Folder for SQLite databases, mail and broker storage")


def sqlite_in_data_dir(file_name: str) -> str:
    """The default database URL of a service: a SQLite file in EWS_DATA_DIR (read when settings are built)."""
    return f"sqlite:///{(DataSettings().data_dir / file_name).resolve()}"


@cache
def kafka_settings() -> KafkaSettings:
    return KafkaSettings()


@cache
def data_settings() -> DataSettings:
    return DataSettings()
