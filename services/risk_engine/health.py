"""Is the worker making progress? Unhealthy when marks wait and nothing moves for a while, so a
supervisor or a container healthcheck restarts it (a crashed agent stops processing, silently)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka.structs import TopicPartition


@dataclass
class Progress:
    """Where the worker is: the last offset it finished on each marks partition, and when."""

    stall_after_s: float
    clock: Callable[[], float] = time.monotonic
    last_offsets: dict[TopicPartition, int] = field(default_factory=dict)
    processed: int = 0
    _seen: int = -1
    _stalled_since: float | None = None

    def finished(self, partition: TopicPartition, offset: int) -> None:
        self.last_offsets[partition] = offset
        self.processed += 1

    def lag(self, highwaters: dict[TopicPartition, int | None]) -> int:
        """Marks on these partitions not yet finished."""
        return sum(
            max(0, highwater - self.last_offsets.get(tp, -1) - 1)
            for tp, highwater in highwaters.items()
            if highwater is not None
        )

    def observe(self, lag: int, busy: bool) -> None:
        """Called every few seconds; `busy` while the worker recovers tables or rebalances."""
        if busy or lag == 0 or self.processed != self._seen:
            self._stalled_since = None
        elif self._stalled_since is None:
            self._stalled_since = self.clock()
        self._seen = self.processed

    @property
    def healthy(self) -> bool:
        return self._stalled_since is None or self.clock() - self._stalled_since < self.stall_after_s
