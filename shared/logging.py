"""Logging for every service: readable lines on a developer's console, one JSON line per record in
production (LOG_FORMAT=json). Messages never carry personal data; bound SQL parameters are hidden
by the database engines (shared/database.py)."""

from __future__ import annotations

import logging.config
import sys
from functools import cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LoggingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOG_")

    format: Literal["console", "json"] = Field(
        "console", description="console: time, service, level, message; json: one JSON object per line"
    )
    level: str = Field("INFO", description="Lowest level written")


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is at the time, so a stdout replaced and closed since
    configuration (a CLI or test runner capturing output) never leaves the handler writing to
    a closed file."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


@cache
def logging_settings() -> LoggingSettings:
    return LoggingSettings()


def logging_config(service: str, settings: LoggingSettings | None = None) -> dict:
    """A dictConfig; faust's worker takes it as `logging_config` so its lines match the others'."""
    settings = settings or logging_settings()
    formatters = {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "static_fields": {"service": service},
        },
        "console": {"format": f"%(asctime)s {service:<13} %(levelname)-7s %(message)s", "datefmt": "%H:%M:%S"},
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {settings.format: formatters[settings.format]},
        "handlers": {"default": {"()": StdoutHandler, "formatter": settings.format}},
        "root": {"level": settings.level, "handlers": ["default"]},
        # kafka-python logs every reconnect attempt at INFO/WARNING; uvicorn's access lines name
        # URLs that can hold pupil ids, and request metrics say what operations needs.
        "loggers": {
            "kafka": {"level": "ERROR"},
            "aiokafka": {"level": "WARNING"},
            "httpx": {"level": "WARNING"},
            "uvicorn.access": {"level": "WARNING"},
        },
    }


def configure_logging(service: str) -> None:
    logging.config.dictConfig(logging_config(service))
