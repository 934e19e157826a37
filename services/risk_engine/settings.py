from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Literal

from pydantic import Field, TypeAdapter, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.risk_engine.rules import Thresholds


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RISK_ENGINE_", env_nested_delimiter="__")

    app_id: str = Field("risk-engine", description="faust app id: consumer group and changelog topic prefix")
    host: str = Field("127.0.0.1", description="Where /metrics and /health listen; loopback unless set")
    port: int = Field(8004, description="Port for /metrics and /health")
    store: Literal["memory://", "rocksdb://"] = Field(
        "memory://",
        description="Table store: memory:// (recovers the whole changelog on start) or rocksdb:// (production)",
    )
    processing_guarantee: Literal["at_least_once", "exactly_once"] = Field(
        "at_least_once",
        description="faust's guarantee. exactly_once (Apache Kafka only) is kept for trials: it lost marks when a "
        "worker took over a dead one's partitions, and does not cover the engine's own writes (docs/operations.md)",
    )
    data_dir: str = Field("data/risk_engine", description="faust data folder (RocksDB files)")
    thresholds: Thresholds = Field(
        default_factory=Thresholds, description="Every rule number, e.g. RISK_ENGINE_THRESHOLDS__PERSISTENT_ABSENCE=0.1"
    )
    alerts_from: dt.date | None = Field(
        None,
        description="Backfill cut-off: alerts for marks dated before it are held back, "
        "and episodes that end before it are never sent",
    )
    future_days_allowed: int = Field(
        0,
        ge=0,
        description="Marks dated more than this many days after today (Europe/London) are dead-lettered; "
        "keep it equal to INGEST_FUTURE_DAYS_ALLOWED",
    )
    stall_after_s: float = Field(
        120.0, description="/health turns 503 when marks have waited this long with none processed"
    )
    batch_size: int = Field(4000, description="Most marks in one take (reached only behind a backlog)")
    batch_within_s: float = Field(
        0.05, description="How long a take waits for more marks after its first, unless a full take is waiting"
    )
    gc_threshold: int = Field(
        50_000,
        ge=0,
        description="Allocations between the garbage collector's youngest-generation passes (0: Python's 700); "
        "the engine makes many short-lived objects and almost no cycles",
    )

    @field_validator("thresholds", mode="before")
    @classmethod
    def _windows_from_text(cls, value):
        return _windows_listed(value)


def _windows_listed(thresholds):
    """RISK_ENGINE_THRESHOLDS__DECLINE_WINDOWS_SCHOOL_DAYS=30,45 arrives as text (a nested setting is
    not decoded as JSON): listed, so that pydantic checks each window and names a bad one."""
    windows = thresholds.get("decline_windows_school_days") if isinstance(thresholds, dict) else None
    if isinstance(windows, str):
        return {**thresholds, "decline_windows_school_days": [part.strip() for part in windows.split(",")]}
    return thresholds


def thresholds_with_decline_windows(windows: str) -> Thresholds:
    """The engine's thresholds with attendance_decline's windows given as text, "30,45", read as the
    setting is; a ValidationError names a bad window."""
    return TypeAdapter(Thresholds).validate_python(_windows_listed({"decline_windows_school_days": windows}))


@cache
def get_settings() -> Settings:
    return Settings()
