from __future__ import annotations

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import sqlite_in_data_dir


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFERRALS_")

    host: str = Field("127.0.0.1", description="Listen address")
    port: int = Field(8002, description="Listen port")
    database_url: str = Field(
        default_factory=lambda: sqlite_in_data_dir("referrals.db"),
        description="SQLAlchemy URL of the referrals database; SQLite under EWS_DATA_DIR by default",
    )
    consumer_group: str = Field("referrals", description="Kafka consumer group")
    consumer_enabled: bool = Field(
        True, description="Consume the topics; off for a replica that only serves the API (and for API tests)"
    )


@cache
def get_settings() -> Settings:
    return Settings()
