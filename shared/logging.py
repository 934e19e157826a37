"""One JSON line per log record on stdout. Messages never carry personal data."""

from __future__ import annotations

import logging.config


def logging_config(service: str, level: str = "INFO") -> dict:
    """A dictConfig; faust's worker takes it as `logging_config` so its lines are JSON too."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                "static_fields": {"service": service},
            }
        },
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
        "root": {"level": level, "handlers": ["default"]},
        # kafka-python logs every reconnect attempt at INFO/WARNING.
        "loggers": {"kafka": {"level": "ERROR"}, "aiokafka": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
    }


def configure_logging(service: str, level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(service, level))
