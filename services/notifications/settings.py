from __future__ import annotations

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_")

    host: str = Field("127.0.0.1", description="Listen address")
    port: int = Field(8003, description="Listen port")
    database_url: str = Field("sqlite:///data/notifications.db", description="SQLAlchemy URL of the delivery log")
    consumer_group: str = Field("notifications", description="Kafka consumer group")
    smtp_host: str = Field("127.0.0.1", description="SMTP relay")
    smtp_port: int = Field(8025, description="SMTP port")
    sender: str = Field("attendance-alerts@ews.invalid", description="From address")
    recipient_template: str = Field(
        "attendance-lead-{school_urn}@schools.invalid",
        description="Address of a school's attendance lead, formatted with the school URN",
    )
    quiet_days: int = Field(
        14,
        description="A pupil whose alert for a rule resolved and was raised again within this many days of "
        "the last email about it is logged, not emailed again (rates hovering at a line would flap)",
    )
    referrals_url: str = Field("http://127.0.0.1:8002", description="Where staff open cases, linked from emails")


@cache
def get_settings() -> Settings:
    return Settings()
