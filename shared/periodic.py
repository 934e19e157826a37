"""Run something every few seconds on a thread, until stopped; an error is logged, never fatal."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Every(threading.Thread):
    def __init__(self, seconds: float, work: Callable[[], None], name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._seconds, self._work = seconds, work
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(self._seconds):
            try:
                self._work()
            except Exception as error:
                log.warning("periodic work failed", extra={"work": self.name, "error": type(error).__name__})

    def stop(self) -> None:
        self._stopping.set()
