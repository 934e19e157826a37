from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RISK_ENGINE_")

    app_id: str = Field("risk-engine", description="faust app id: consumer group and changelog topic prefix")
    host: str = Field("127.0.0.1", description="Where /metrics and /health listen; loopback unless set")
    port: int = Field(8004, description="Port for /metrics and /health")
    store: Literal["memory://", "rocksdb://"] = Field("memory://", description="Table store; rocksdb:// in production")
    data_dir: str = Field("data/risk_engine", description="faust data folder (RocksDB files)")
    persistent_absence: float = Field(0.10, description="Absence rate that makes a pupil persistently absent")
    min_possible_sessions: int = Field(40, description="Rate rules wait until a pupil has this many possible sessions")


@cache
def get_settings() -> Settings:
    return Settings()
