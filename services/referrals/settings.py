from __future__ import annotations

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REFERRALS_")

    host: str = Field("127.0.0.1", description="Listen address")
    port: int = Field(8002, description="Listen port")
    database_url: str = Field("sqlite:///data/referrals.db", description="SQLAlchemy URL of the referrals database")
    consumer_group: str = Field("referrals", description="Kafka consumer group")


@cache
def get_settings() -> Settings:
    return Settings()
