"""The engine's own work per mark, with no broker and no framework: a school year of marks, in takes
as registers arrive (one session of every pupil a take), through the take path the worker runs
(`MarkBatches.process`: decoding, the engine, the stored pieces, the cohorts, the metrics) on faust's
memory store, the records for the broker counted and dropped. CPU time, so a busy machine slows it
less than it does the streaming benchmark; compare runs within one session all the same.

`--forget-written` makes the worker read every state back from the store, as it did before it kept
the states it wrote (tables.py), so one run gives both figures."""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
from dataclasses import dataclass

import faust
from aiokafka.structs import TopicPartition

from bench.harness import record
from bench.risk_engine import DAYS, mark_bytes
from services.risk_engine.batches import MarkBatches
from services.risk_engine.calendars import Calendars
from services.risk_engine.contexts import Contexts
from services.risk_engine.health import Progress
from services.risk_engine.output import Record
from services.risk_engine.settings import Settings
from services.risk_engine.tables import PupilContexts, PupilStates
from shared import topics
from shared.ops import collect_less_often


@dataclass(frozen=True)
class Message:
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Event:
    """What a take holds of each faust event: the raw value and where it was read from."""

    value: bytes
    message: Message


class CountingOutput:
    """The broker's side of the take path: records counted and given offsets, then dropped."""

    def __init__(self) -> None:
        self.records = self.bytes = 0
        self._next: dict[TopicPartition, int] = {}

    async def send(self, records: list[Record]) -> dict[TopicPartition, int]:
        written = {}
        for item in records:
            tp = TopicPartition(item.topic, item.partition)
            written[tp] = self._next[tp] = self._next.get(tp, -1) + 1
            self.records, self.bytes = self.records + 1, self.bytes + len(item.value)
        return written


def takes(pupils: int, days: int) -> list[list[Event]]:
    """Day by day, every pupil's AM marks in one take and their PM marks in the next."""
    out, offset = [], 0
    for day in DAYS[:days]:
        for session in ("AM", "PM"):
            take = []
            for pupil in range(pupils):
                take.append(Event(mark_bytes(pupil, day, session)[1], Message(topics.MARKS.name, 0, offset)))
                offset += 1
            out.append(take)
    return out


def measure(pupils: int, days: int, forget_written: bool) -> dict:
    settings = Settings()
    collect_less_often(settings.gc_threshold)
    with tempfile.TemporaryDirectory() as data_dir:
        app = faust.App("bench-engine-takes", store="memory://", broker="kafka://127.0.0.1:1", datadir=data_dir)

        def table(name: str) -> faust.Table:
            return app.Table(name, default=None, key_type=bytes, value_type=bytes, partitions=1)

        states = PupilStates(table("pupil-state"))
        contexts = Contexts(settings, Calendars(), PupilContexts(table("pupil-context")))
        output = CountingOutput()
        batches = MarkBatches(states, contexts, output, Progress(stall_after_s=60), assignment=lambda: frozenset({0}))
        work = takes(pupils, days)
        marks = sum(len(take) for take in work)

        async def play() -> None:
            for take in work:
                if forget_written:
                    states.forget_written()
                await batches.process(take)

        gc.collect()
        started, cpu = time.perf_counter(), time.process_time()
        asyncio.run(play())
        cpu, wall = time.process_time() - cpu, time.perf_counter() - started
    return {
        "marks": marks,
        "cpu_us_per_mark": round(cpu / marks * 1e6, 1),
        "marks_per_cpu_second": round(marks / cpu),
        "wall_s": round(wall, 1),
        "records_out_per_mark": round(output.records / marks, 2),
        "bytes_out_per_mark": round(output.bytes / marks),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pupils", type=int, default=200)
    parser.add_argument("--days", type=int, default=len(DAYS), help="school days of the year (all by default)")
    parser.add_argument("--forget-written", action="store_true", help="also run reading every state from the store")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each; the least CPU time is reported")
    args = parser.parse_args(argv)
    variants = {"kept_states": False} | ({"read_from_store": True} if args.forget_written else {})
    runs: dict[str, list[dict]] = {name: [] for name in variants}
    for _ in range(args.rounds):  # alternated, so a slow spell of the machine falls on both
        for name, forget in variants.items():
            runs[name].append(measure(args.pupils, args.days, forget))
    figures = {"pupils": args.pupils, "days": args.days, "rounds": args.rounds}
    for name, results in runs.items():
        best = min(results, key=lambda result: result["cpu_us_per_mark"])
        figures[name] = best | {"cpu_us_per_mark_all_rounds": [result["cpu_us_per_mark"] for result in results]}
    record("engine_takes", figures)
    return figures


if __name__ == "__main__":
    main()
