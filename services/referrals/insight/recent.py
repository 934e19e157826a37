"""Recent answers, reused for a short while. The borough view is the same for every officer who asks
for it and moves only as marks arrive, so figures a minute old answer at once instead of counting a
borough again; the page says when they were counted."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Recent(Generic[T]):
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic, size: int = 64) -> None:
        self._seconds, self._clock, self._size = seconds, clock, size
        self._answers: dict[Hashable, tuple[float, T]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        now = self._clock()
        with self._lock:
            found = self._answers.get(key)
        if found is not None and now - found[0] < self._seconds:
            return found[1]
        answer = compute()
        with self._lock:
            if len(self._answers) >= self._size:
                self._answers.pop(min(self._answers, key=lambda k: self._answers[k][0]))
            self._answers[key] = (now, answer)
        return answer
