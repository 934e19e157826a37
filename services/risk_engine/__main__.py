"""python -m services.risk_engine: run one faust worker."""

from __future__ import annotations

import faust

from services.risk_engine.app import create_app
from services.risk_engine.settings import get_settings
from shared.logging import logging_config
from shared.ops import collect_less_often, settle_after_startup
from shared.settings import kafka_settings


def main() -> None:
    settings = get_settings()
    app = create_app(settings, kafka_settings())
    app.conf.logging_config = logging_config("risk_engine")  # the same lines as every service
    # Left redirected, sys.stdout becomes a logger whose records our handler writes back to sys.stdout:
    # mode's recursion guard then drops every line the worker logs.
    worker = faust.Worker(app, loglevel="INFO", quiet=True, redirect_stdouts=False)
    settle_after_startup()
    collect_less_often(settings.gc_threshold)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
