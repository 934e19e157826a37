from __future__ import annotations

from functools import cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import sqlite_in_data_dir


class KeyStoreSettings(BaseSettings):
    """All that key management needs: it must work without the pseudonym key."""

    model_config = SettingsConfigDict(env_prefix="INGEST_")

    database_url: str = Field(
        default_factory=lambda: sqlite_in_data_dir("ingest.db"),
        description="Where connector API keys (hashed) are kept; SQLite under EWS_DATA_DIR by default",
    )


class Settings(KeyStoreSettings):
    host: str = Field("127.0.0.1", description="Listen address")
    port: int = Field(8001, description="Listen port")
    workers: int = Field(
        1,
        ge=1,
        description="uvicorn worker processes. Each keeps its own /metrics and rate limit: in production "
        "prefer one worker per container, scaled by containers, so each is scraped",
    )
    pseudonym_key: SecretStr = Field(description="Key of the keyed hash that turns a UPN into a pupil id")
    rate_limit: str = Field("600/minute", description="Requests allowed per connector key (limits notation)")
    max_body_bytes: int = Field(4_000_000, description="Largest request body; 5,000 marks of JSON is about 1 MB")
    publish_timeout_s: float = Field(10.0, description="How long to wait for the broker to acknowledge a batch")
    retry_after_s: int = Field(5, description="Retry-After sent with 503 when the broker is unreachable")
    future_days_allowed: int = Field(
        0,
        ge=0,
        le=31,
        description="Marks may be dated up to this many days after today (Europe/London); keep it equal to "
        "RISK_ENGINE_FUTURE_DAYS_ALLOWED",
    )


@cache
def get_settings() -> Settings:
    return Settings()
