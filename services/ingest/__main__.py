"""python -m services.ingest: serve the ingest API."""

from __future__ import annotations

import uvicorn

from services.ingest.app import create_app
from services.ingest.settings import get_settings
from shared.logging import configure_logging
from shared.settings import kafka_settings


def main() -> None:
    configure_logging("ingest")
    settings = get_settings()
    uvicorn.run(create_app(settings, kafka_settings()), host=settings.host, port=settings.port, log_config=None)


if __name__ == "__main__":
    main()
