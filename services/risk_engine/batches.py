"""One take of marks through the engine, with its effects in a safe order.

Per take: marks are decoded (undecodable or refused ones are dead-lettered), grouped by
enrolment, and each enrolment is processed on its own, so an error in one pupil's marks
dead-letters exactly those marks and every other pupil's go on. Then, in this order:
1. the alerts and dead letters are sent and acknowledged by the broker;
2. the changed states' pieces (changelog, each pupil's in one batch) and snapshots are sent and
   acknowledged;
3. the store is written, and the cohorts (the seasonal reference, cohorts.py) follow it;
and only when `process` returns does faust ack the take's events, so offsets are committed
last. A crash anywhere repeats work (idempotent: same alert ids, states set not added) and
never loses a mark or an alert.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import faust
from aiokafka.structs import TopicPartition
from pydantic import ValidationError

from services.risk_engine import engine, metrics
from services.risk_engine.contexts import Contexts
from services.risk_engine.figures import Counts
from services.risk_engine.health import Progress
from services.risk_engine.output import Record
from services.risk_engine.state import PupilState
from services.risk_engine.stored_state import Pieces
from services.risk_engine.tables import within_none
from shared import topics
from shared.events import AttendanceMark, DeadLetter, pupil_key, utcnow
from shared.invalid import first_problem
from shared.ops import collector_paused

log = logging.getLogger(__name__)


class Output(Protocol):
    async def send(self, records: list[Record]) -> dict[TopicPartition, int]: ...


class States(Protocol):
    changelog_topic: str

    def get(self, key: str, event: faust.EventT) -> PupilState | None: ...

    def pieces(self, key: str, state: PupilState, stored: PupilState | None) -> Pieces: ...

    def put(self, key: str, state: PupilState, *, pieces: Pieces, event: faust.EventT) -> None: ...

    def counts(self) -> Iterator[tuple[str, str, Counts]]: ...

    def mark_persisted(self, partition: int, offset: int) -> None: ...


@dataclass
class Enrolment:
    """One pupil at one school within a take: their marks, and the events that carried them."""

    pupil_id: str
    school_urn: str
    marks: list[AttendanceMark] = field(default_factory=list)
    events: list[faust.EventT] = field(default_factory=list)

    @property
    def key(self) -> str:
        return pupil_key(self.school_urn, self.pupil_id)


@dataclass
class Outcome:
    """What one enrolment's marks produced."""

    enrolment: Enrolment
    step: engine.Step
    before: PupilState | None
    year_group: int | None

    @property
    def partition(self) -> int:
        return self.enrolment.events[-1].message.partition  # every output goes where the marks came from


class MarkBatches:
    def __init__(
        self,
        states: States,
        contexts: Contexts,
        output: Output,
        progress: Progress,
        assignment: Callable[[], frozenset[int]] = frozenset,
    ) -> None:
        self._states, self._contexts, self._output, self._progress = states, contexts, output, progress
        self._assignment = assignment
        self._cohorts_for: frozenset[int] | None = None  # the partitions the cohorts were counted over

    async def process(self, batch: Sequence[faust.EventT]) -> None:
        # A take holds every object it makes until its records are acknowledged, and makes no
        # cycles: collections during one walked all of it, about a tenth of a borough worker's CPU.
        # Paused across the sends too, which retry for a bounded time (output.py).
        with collector_paused():
            await self._process(batch)

    async def _process(self, batch: Sequence[faust.EventT]) -> None:
        self._count_cohorts()
        enrolments, letters = self._decode(batch)
        outcomes = []
        for enrolment in enrolments:
            outcome = self._apply(enrolment)
            if isinstance(outcome, Outcome):
                outcomes.append(outcome)
            else:
                letters.extend(outcome)
        alerts = [_alert_record(outcome.partition, alert) for outcome in outcomes for alert in outcome.step.alerts]
        await self._output.send(alerts + letters)  # every alert acknowledged before the state that records it
        changed = [outcome for outcome in outcomes if outcome.step.changed]
        stored = [(o, self._states.pieces(o.enrolment.key, o.step.state, o.before)) for o in changed]
        written = await self._output.send(
            [record for outcome, pieces in stored for record in self._changelog_records(outcome, pieces)]
            + [_snapshot_record(outcome) for outcome in changed]
        )
        for outcome, pieces in stored:
            self._states.put(
                outcome.enrolment.key, outcome.step.state, pieces=pieces, event=outcome.enrolment.events[-1]
            )
            self._follow_in_cohorts(outcome)
        for tp, offset in written.items():
            if tp.topic == self._states.changelog_topic:
                self._states.mark_persisted(tp.partition, offset)
        self._count(batch, outcomes, len(letters))

    def _changelog_records(self, outcome: Outcome, pieces: Pieces) -> list[Record]:
        """A pupil's pieces, in one batch: a crash keeps all of them or none (stored_state.py)."""
        topic = self._states.changelog_topic
        return [
            Record(topic, outcome.partition, key.encode(), value, with_previous=index > 0)
            for index, (key, value) in enumerate(pieces.items())
        ]

    def _count_cohorts(self) -> None:
        """Recount the cohorts from every state held when the partitions held have changed (at
        start, and after a rebalance: the tables are recovered before any take)."""
        assignment = self._assignment()
        if assignment == self._cohorts_for:
            return
        contexts = self._contexts

        def enrolments():
            for key, school, counts in self._states.counts():
                enrolled = contexts.enrolled(*key.split("|", 1))
                yield key, school, enrolled.year_group if enrolled else None, counts

        within_none()  # the last take's event would confine reads to its partition
        contexts.cohorts.rebuild(enrolments())
        self._cohorts_for = assignment

    def _follow_in_cohorts(self, outcome: Outcome) -> None:
        before = outcome.before["counts"] if outcome.before else None
        enrolment = outcome.enrolment
        self._contexts.cohorts.move(
            enrolment.key, enrolment.school_urn, outcome.year_group, before, outcome.step.state["counts"]
        )

    def _decode(self, batch: Sequence[faust.EventT]) -> tuple[list[Enrolment], list[Record]]:
        """Valid marks grouped by enrolment, in arrival order; dead letters for the rest."""
        enrolments: dict[str, Enrolment] = {}
        letters = []
        latest_allowed = self._contexts.latest_allowed()
        for event in batch:
            try:
                mark = AttendanceMark.model_validate_json(event.value)
            except ValidationError as error:
                letters.append(dead_letter(event, _reason(error)))
                continue
            refused = engine.refusal(mark, self._contexts.table, latest_allowed)
            if refused:
                letters.append(dead_letter(event, refused))
                continue
            key = pupil_key(mark.school_urn, mark.pupil_id)
            enrolment = enrolments.get(key)
            if enrolment is None:
                enrolment = enrolments[key] = Enrolment(mark.pupil_id, mark.school_urn)
            enrolment.marks.append(mark)
            enrolment.events.append(event)
        return list(enrolments.values()), letters

    def _apply(self, enrolment: Enrolment) -> Outcome | list[Record]:
        """The enrolment's step, or dead letters for all its marks if processing them failed."""
        try:
            state = self._states.get(enrolment.key, enrolment.events[-1])
            enrolled = self._contexts.enrolled(enrolment.school_urn, enrolment.pupil_id)
            context = self._contexts.for_enrolment(enrolment.school_urn, enrolled)
            step = engine.process_marks(state, enrolment.pupil_id, enrolment.marks, context)
            return Outcome(enrolment, step, before=state, year_group=enrolled.year_group if enrolled else None)
        except Exception as error:  # one pupil's failure must not stop the others
            log.exception("a pupil's marks failed; dead-lettered", extra={"marks": len(enrolment.events)})
            return [dead_letter(event, _reason(error)) for event in enrolment.events]

    def _count(self, batch: Sequence[faust.EventT], outcomes: list[Outcome], letters: int) -> None:
        for event in batch:
            self._progress.finished(TopicPartition(event.message.topic, event.message.partition), event.message.offset)
        applied = sum(len(o.enrolment.marks) for o in outcomes if o.step.changed)
        unchanged = sum(len(o.enrolment.marks) for o in outcomes if not o.step.changed)
        metrics.TAKE_MARKS.observe(len(batch))
        metrics.EVENTS.labels(topics.MARKS.name, "applied").inc(applied)
        metrics.EVENTS.labels(topics.MARKS.name, "unchanged").inc(unchanged)
        metrics.EVENTS.labels(topics.MARKS.name, "dead_lettered").inc(letters)
        metrics.DEAD_LETTERS.labels(topics.MARKS.name).inc(letters)
        for outcome in outcomes:
            for alert in outcome.step.alerts:
                metrics.ALERTS.labels(alert.rule, alert.transition).inc()
        now = utcnow()
        for outcome in outcomes:
            for mark in outcome.enrolment.marks:
                metrics.LATENCY.observe((now - mark.occurred_at).total_seconds())
        metrics.LAST_PROCESSED.set(time.time())


def dead_letter(event: faust.EventT, reason: str) -> Record:
    message = event.message
    letter = DeadLetter(
        source_topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        reason=reason,
        payload=(event.value or b"").decode("utf-8", errors="replace"),
    )
    log.warning("dead-lettered a mark", extra={"topic": message.topic, "offset": message.offset, "reason": reason})
    return Record(topics.RISK_ENGINE_DLQ.name, 0, topics.RISK_ENGINE_DLQ.key_of(letter), letter.to_bytes())


def _alert_record(partition: int, alert) -> Record:
    return Record(topics.RISK_ALERTS.name, partition, topics.RISK_ALERTS.key_of(alert), alert.to_bytes())


def _snapshot_record(outcome: Outcome) -> Record:
    snapshot = outcome.step.snapshot
    return Record(
        topics.PUPIL_ATTENDANCE.name, outcome.partition, topics.PUPIL_ATTENDANCE.key_of(snapshot), snapshot.to_bytes()
    )


def _reason(error: Exception) -> str:
    """A dead letter's reason: the first field pydantic refused, or the error's first line."""
    if isinstance(error, ValidationError):
        return f"undecodable AttendanceMark: {first_problem(error)}"
    return f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}"
