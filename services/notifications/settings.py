from __future__ import annotations

import datetime as dt
import enum
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
    quiet_days: int = Field(
        14,
        description="A pupil whose alert for a rule resolved and was raised again within this many days of "
        "the last message about it is logged as suppressed, not sent again (rates hovering at a line flap)",
    )
    referrals_url: str = Field("http://127.0.0.1:8002", description="The staff pages, linked from messages")
    digest_time: dt.time = Field(
        dt.time(16, 0), description="Local time (Europe/London) the daily digest goes, on school days"
    )
    quiet_hours: str = Field(
        "18:00-07:30",
        pattern=r"^\d\d:\d\d-\d\d:\d\d$",
        description="Local hours nothing but critical events is sent, for recipients who set none",
    )
    respect_school_days: bool = Field(
        True,
        description="Hold non-critical messages and digests to school days; off for a demo or test run at a weekend",
    )
    dispatch_threads: int = Field(8, ge=1, le=32, description="Deliveries handed to channels at once")
    quick_retries: int = Field(
        3, ge=1, description="Tries of a send within one attempt (short jittered waits) before it is rescheduled"
    )
    max_attempts: int = Field(6, ge=1, description="Tries of a delivery before it is failed and dead-lettered")
    retry_backoff_s: float = Field(2.0, gt=0, description="First wait before a delivery is tried again; doubles")
    dispatch_interval_s: float = Field(0.2, gt=0, description="How often due deliveries are looked for when idle")
    parent_rounds_every_s: float = Field(
        60.0, gt=0, description="How often schools' parent-message rounds are looked for (they start at half-terms)"
    )


class NotifyKeyType(enum.StrEnum):
    LIVE = "live"  # sends to anyone
    TEAM = "team"  # sends only to the Notify service's team members and guest list
    TEST = "test"  # accepted and never delivered


class NotifySettings(BaseSettings):
    """GOV.UK Notify. The API key holds the service id and the secret the client signs its JWTs with."""

    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_NOTIFY_", env_ignore_empty=True)

    api_key: SecretStr | None = Field(None, description="Notify API key; Notify channels refuse to send without one")
    key_type: NotifyKeyType = Field(NotifyKeyType.TEST, description="Which kind of key api_key is")
    base_url: str = Field("https://api.notifications.service.gov.uk", description="Notify's API")
    email_template_id: str = Field("", description="Email template with ((subject)), ((body)) and ((link))")
    sms_template_id: str = Field("", description="Text message template with ((body))")
    callback_token: SecretStr | None = Field(
        None, description="Bearer token Notify sends with delivery receipts to /v1/notify/callback"
    )


class TeamsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_TEAMS_", env_ignore_empty=True)

    timeout_s: float = Field(10.0, description="How long one webhook call may take")


@cache
def get_settings() -> Settings:
    return Settings()


@cache
def smtp_settings() -> SmtpSettings:
    return SmtpSettings()


@cache
def notify_settings() -> NotifySettings:
    return NotifySettings()


@cache
def teams_settings() -> TeamsSettings:
    return TeamsSettings()
