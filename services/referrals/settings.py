from __future__ import annotations

import datetime as dt
from functools import cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.referrals.reconciliation.gaps import RegisterDeadlines
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
    public_url: str = Field(
        "http://127.0.0.1:8002", description="Where staff reach these pages: sign-in redirects and message links"
    )
    cookie_secure: bool = Field(True, description="Send the session cookie over HTTPS only (off only for local HTTP)")
    session_idle_minutes: int = Field(30, ge=1, description="A signed-in session ends after this long unused")
    session_max_hours: int = Field(12, ge=1, description="A signed-in session ends after this long, used or not")
    oidc_issuer: str | None = Field(
        None, description="The school's OpenID Connect issuer, e.g. https://login.microsoftonline.com/<tenant>/v2.0"
    )
    oidc_client_id: str | None = Field(None, description="This service's client id at the identity provider")
    oidc_client_secret: SecretStr | None = Field(None, description="Its client secret")
    insight_cache_seconds: float = Field(
        60, ge=0, description="How long a borough view is reused for the next officer who asks (0: never)"
    )
    register_deadline_am: dt.time = Field(
        dt.time(10, 0), description="School time by which a school's morning register should be in (reconciliation)"
    )
    register_deadline_pm: dt.time = Field(dt.time(14, 30), description="The same for the afternoon register")

    @property
    def register_deadlines(self) -> RegisterDeadlines:
        return RegisterDeadlines(am=self.register_deadline_am, pm=self.register_deadline_pm)


@cache
def get_settings() -> Settings:
    return Settings()
