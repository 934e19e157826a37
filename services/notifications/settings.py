from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import sqlite_in_data_dir


class SmtpSettings(BaseSettings):
    """The mail relay. Production: STARTTLS on 587 with a user and password, or an OAuth2 token
    (XOAUTH2) for Microsoft 365, whose basic SMTP authentication is being retired."""

    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_SMTP_", env_ignore_empty=True)

    host: str = Field("127.0.0.1", description="SMTP relay")
    port: int = Field(8025, description="SMTP port: 587 for STARTTLS in production; 8025 is the local mail server")
    starttls: bool = Field(False, description="Upgrade the connection with STARTTLS before anything is sent")
    ca_file: Path | None = Field(None, description="CA bundle to verify the relay's certificate (system CAs if unset)")
    username: str | None = Field(None, description="Login, for PLAIN/LOGIN or XOAUTH2")
    password: SecretStr | None = Field(None, description="Password for username (needs STARTTLS)")
    oauth2_token: SecretStr | None = Field(None, description="OAuth2 access token for XOAUTH2 (needs STARTTLS)")
    timeout_s: float = Field(10.0, description="How long one SMTP conversation may take")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_")

    host: str = Field("127.0.0.1", description="Listen address")
    port: int = Field(8003, description="Listen port")
    database_url: str = Field(
        default_factory=lambda: sqlite_in_data_dir("notifications.db"),
        description="SQLAlchemy URL of the delivery log; SQLite under EWS_DATA_DIR by default",
    )
    consumer_group: str = Field("notifications", description="Kafka consumer group")
    consumer_enabled: bool = Field(True, description="Consume topics and dispatch deliveries; off for API tests")
    sender: str = Field("attendance-alerts@ews.invalid", description="From address")
    recipient_template: str = Field(
        "attendance-lead-{school_urn}@schools.invalid",
        description="Address of a school's attendance lead, formatted with the school URN",
    )
    quiet_days: int = Field(
        14,
        description="A pupil whose alert for a rule resolved and was raised again within this many days of "
        "the last message about it is logged as suppressed, not sent again (rates hovering at a line flap)",
    )
    referrals_url: str = Field("http://127.0.0.1:8002", description="Where staff open cases, linked from messages")
    max_attempts: int = Field(6, ge=1, description="Tries of a delivery before it is failed and dead-lettered")
    retry_backoff_s: float = Field(2.0, gt=0, description="First wait before a delivery is tried again; doubles")
    dispatch_interval_s: float = Field(0.2, gt=0, description="How often due deliveries are looked for when idle")


@cache
def get_settings() -> Settings:
    return Settings()


@cache
def smtp_settings() -> SmtpSettings:
    return SmtpSettings()
