"""Takes of marks sized by what is waiting.

faust's take_events(max, within) cuts a take `within` seconds after it starts, however many marks
are waiting: behind a backlog (a morning's registers, last year's marks, a restart) that made takes
of about a thousand marks on this machine. Every take pays per pupil (reading and writing their
stored state, the snapshot) and per take (waiting for the broker's acknowledgements), so a pupil
with several marks waiting paid for each of them.

Here a take ends `within_s` after its first mark arrived, unless a full take's worth of marks is
already waiting on the broker (past the last mark read, on every partition held that marks have
been read from): then it goes on up to `max_size`. A live stream keeps its latency
and a backlog goes through in full takes.

The marks are read from the stream by a task of their own, so a take can be cut on time even while
the stream waits for the broker, and the next take fills while this one is processed. Each take is
acked once processed (as take_events does), so its offsets are committed only after its effects.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import faust
from faust.types import TP

POLL_S = 0.005  # how often an open take looks at what has arrived


class Intake:
    """The stream's marks as they arrive, held for the next take (at most `max_size`)."""

    def __init__(self, stream: faust.StreamT, max_size: int) -> None:
        self._stream, self.max_size = stream, max_size
        self.marks: list[faust.EventT] = []
        self.first_arrived_at = 0.0  # the event loop's time, when the first mark held arrived
        # The last offset read on each partition, kept from take to take: the stream may hand over one
        # partition's fetched marks before another's, so a take can hold marks of one partition alone.
        self.read_offsets: dict[TP, int] = {}
        self.arrived = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()

    async def read(self) -> None:
        loop = asyncio.get_running_loop()
        async for event in self._stream.events():
            if not self.marks:
                self.first_arrived_at = loop.time()
            self.marks.append(event)
            self.read_offsets[event.message.tp] = event.message.offset
            self.arrived.set()
            if len(self.marks) >= self.max_size:
                self._room.clear()
                await self._room.wait()

    def cut(self) -> list[faust.EventT]:
        take, self.marks = self.marks, []
        self.arrived.clear()
        self._room.set()
        return take

    def behind(self) -> int:
        """Marks the broker holds past the last one read, on the partitions this worker holds."""
        consumer = self._stream.app.consumer
        held = consumer.assignment()
        for tp in [tp for tp in self.read_offsets if tp not in held]:
            del self.read_offsets[tp]  # revoked: another worker reads on from where it was
        return sum(max(0, (consumer.highwater(tp) or 0) - offset - 1) for tp, offset in self.read_offsets.items())


async def takes_of_waiting_marks(
    stream: faust.StreamT, max_size: int, within_s: float
) -> AsyncIterator[list[faust.EventT]]:
    """The stream's marks in takes, each acked when the next is asked for."""
    acking = stream.enable_acks
    stream.enable_acks = False  # acked below, once the take is processed
    intake = Intake(stream, max_size)
    reading = asyncio.ensure_future(intake.read())
    try:
        while await _first_mark(intake, reading):
            await _fill(intake, reading, within_s)
            take = intake.cut()
            yield take
            for event in take:
                await stream.ack(event)
    finally:
        reading.cancel()
        stream.enable_acks = acking


async def _first_mark(intake: Intake, reading: asyncio.Future) -> bool:
    """Wait for a mark: True once one has arrived, False if the stream ended (as it does when the
    worker stops); raises why the stream failed."""
    arrived = asyncio.ensure_future(intake.arrived.wait())
    try:
        await asyncio.wait({arrived, reading}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        arrived.cancel()
    if intake.marks:
        return True
    reading.result()
    return False


async def _fill(intake: Intake, reading: asyncio.Future, within_s: float) -> None:
    """Until the take is full, or `within_s` has passed since its first mark arrived (which may have
    been while the take before was processed) without a full take's worth waiting."""
    loop = asyncio.get_running_loop()
    deadline, held_when_extended = intake.first_arrived_at + within_s, 0
    while len(intake.marks) < intake.max_size and not reading.done():
        if loop.time() >= deadline:
            # Go on only while marks still come (a revoked partition's do not) and enough wait.
            held = len(intake.marks)
            if held == held_when_extended or intake.behind() < intake.max_size - held:
                return
            deadline, held_when_extended = loop.time() + within_s, held
        await asyncio.sleep(POLL_S)
