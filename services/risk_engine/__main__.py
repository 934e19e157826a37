"""python -m services.risk_engine: run one faust worker."""

from __future__ import annotations

import faust

from services.risk_engine.app import create_app
from services.risk_engine.settings import get_settings
from shared.logging import logging_config
from shared.settings import kafka_settings


def main() -> None:
    app = create_app(get_settings(), kafka_settings())
    app.conf.logging_config = logging_config("risk_engine")  # the same lines as every service
    # Left redirected, sys.stdout becomes a logger whose records our handler writes back to sys.stdout:
    # mode's recursion guard then drops every line the worker logs.
    worker = faust.Worker(app, loglevel="INFO", quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
