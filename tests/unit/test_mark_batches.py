"""The engine's wiring, in-process: real faust tables on the memory store, a fake batch producer
recording what it was asked to send, and takes of marks shaped as faust hands them to the agent."""

import asyncio
import contextlib
import datetime as dt
import gc

import faust
import pydantic_core
import pytest
from aiokafka.structs import TopicPartition

from bench.engine_takes import Event, Message
from services.risk_engine.app import EXIT_UNFINISHED_BATCH, forget_written_on_rebalance, run_batches
from services.risk_engine.batches import MarkBatches
from services.risk_engine.calendars import Calendars
from services.risk_engine.contexts import Contexts
from services.risk_engine.health import Progress
from services.risk_engine.settings import Settings
from services.risk_engine.stored_state import decode_head
from services.risk_engine.tables import PupilContexts, PupilStates
from shared import topics
from shared.events import AttendanceMark, Characteristics, PupilContext, pupil_key
from tests.unit.engine_helpers import CALENDAR, DAYS, SCHOOL

NOW = dt.datetime(2026, 7, 31, 12, tzinfo=dt.UTC)  # what the engine's clock says in these tests


def faust_event(value: bytes, partition: int, offset: int) -> Event:
    """A faust event as a take (takes.py) holds it, read from the marks topic."""
    return Event(value, Message(topics.MARKS.name, partition, offset))


class RecordingOutput:
    """The batch producer's edge: what was sent, in order, with offsets as a broker would give."""

    def __init__(self, log: list[str], changelog: str, fail: bool = False) -> None:
        self.log, self.fail, self.sent = log, fail, []
        self._kinds = {
            topics.RISK_ALERTS.name: "alerts",
            topics.RISK_ENGINE_DLQ.name: "dead letters",
            topics.PUPIL_ATTENDANCE.name: "snapshots",
            changelog: "changelog",
        }
        self._next: dict[TopicPartition, int] = {}

    async def send(self, records):
        if self.fail:
            raise ConnectionError("the broker did not answer")
        self.log.append("sent " + "+".join(sorted({self._kinds[record.topic] for record in records})))
        self.sent.extend(records)
        written = {}
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            written[tp] = self._next[tp] = self._next.get(tp, -1) + 1
        return written

    def decoded(self, topic: topics.Topic) -> list:
        return [topic.decode(record.value) for record in self.sent if record.topic == topic.name]


class LoggingStates(PupilStates):
    def __init__(self, table, log: list[str]) -> None:
        super().__init__(table)
        self.log = log

    def put(self, key, state, *, pieces, event) -> None:
        self.log.append("store")
        super().put(key, state, pieces=pieces, event=event)


class Wiring:
    """The parts create_app() wires, around one faust app on the memory store."""

    def __init__(self, fail_output: bool = False) -> None:
        self.app = app = faust.App(f"test-{id(self)}", store="memory://", broker="kafka://127.0.0.1:1")

        def table(name: str) -> faust.Table:
            return app.Table(name, default=None, key_type=bytes, value_type=bytes, partitions=4)

        self.log: list[str] = []
        self.state_table = table("pupil-state")
        self.states = LoggingStates(self.state_table, self.log)
        calendars = Calendars()
        calendars.add(CALENDAR)
        self.context_table = table("pupil-context")
        self.enrolled = PupilContexts(self.context_table)
        self.contexts = contexts = Contexts(Settings(), calendars, self.enrolled, now=lambda: NOW)
        self.output = RecordingOutput(self.log, self.states.changelog_topic, fail=fail_output)
        self.progress = Progress(stall_after_s=60)
        self.assignment = frozenset({0})
        self.batches = MarkBatches(
            self.states, contexts, self.output, self.progress, assignment=lambda: self.assignment
        )
        self._offset = 0

    def take(self, marks: list[AttendanceMark | bytes], partition: int = 0) -> list[Event]:
        events = []
        for mark in marks:
            value = mark if isinstance(mark, bytes) else mark.to_bytes()
            events.append(faust_event(value, partition, self._offset))
            self._offset += 1
        return events

    def sessions(self, pupil: str) -> int:
        raw = self.state_table.data.get(pupil_key(SCHOOL, pupil).encode())
        counts = {} if raw is None else decode_head(raw)["counts"]
        return sum(row[0] for key, row in counts.items() if "|Y|" in key)


def marks(pupil: str, days, code: str = "N", school: str = SCHOOL) -> list[AttendanceMark]:
    return [
        AttendanceMark(
            pupil_id=pupil,
            school_urn=school,
            date=day,
            session=session,
            code=code if code else ("/" if session == "AM" else "\\"),
            recorded_at=dt.datetime.combine(day, dt.time(9, 30), tzinfo=dt.UTC),
        )
        for day in days
        for session in ("AM", "PM")
    ]


def test_one_poisoned_pupil_is_dead_lettered_and_every_other_mark_is_counted():
    wiring = Wiring()
    wiring.state_table.data[pupil_key(SCHOOL, "poisoned").encode()] = b"{not json"  # a corrupt record
    take = wiring.take(marks("a", DAYS[:5]) + marks("poisoned", DAYS[:5]) + [b"not a mark"] + marks("b", DAYS[:5]))
    asyncio.run(wiring.batches.process(take))

    assert (wiring.sessions("a"), wiring.sessions("b")) == (10, 10)
    letters = wiring.output.decoded(topics.RISK_ENGINE_DLQ)
    assert len(letters) == 11
    assert sorted(letter.offset for letter in letters) == list(range(10, 21))
    assert "undecodable AttendanceMark" in next(letter.reason for letter in letters if letter.offset == 20)
    poisoned = [letter for letter in letters if letter.offset != 20]
    assert all(AttendanceMark.model_validate_json(letter.payload).pupil_id == "poisoned" for letter in poisoned)
    assert {s.pupil_id for s in wiring.output.decoded(topics.PUPIL_ATTENDANCE)} == {"a", "b"}
    assert wiring.progress.last_offsets == {TopicPartition(topics.MARKS.name, 0): 30}  # the whole take is done


def test_alerts_are_acknowledged_before_the_changelog_the_store_is_written_after_and_offsets_come_last():
    wiring = Wiring()
    take = wiring.take(marks("a", DAYS[:3]) + marks("b", DAYS[:3], code=""))

    async def takes():
        yield take
        wiring.log.append("acked")  # faust acks a take's events when the agent asks for the next

    asyncio.run(run_batches(takes(), wiring.batches.process))
    assert wiring.log == ["sent alerts", "sent changelog+snapshots", "store", "store", "acked"]
    [alert] = wiring.output.decoded(topics.RISK_ALERTS)
    assert (alert.pupil_id, alert.rule) == ("a", "first_week_absence")


def test_a_take_that_cannot_be_finished_stops_the_worker_before_its_offsets_are_committed():
    wiring = Wiring(fail_output=True)
    exits = []

    async def takes():
        yield wiring.take(marks("a", DAYS[:3]))
        wiring.log.append("acked")

    asyncio.run(run_batches(takes(), wiring.batches.process, on_unfinished=exits.append))
    assert exits == [EXIT_UNFINISHED_BATCH]
    assert "store" not in wiring.log  # nothing recorded as done: the restarted worker replays the take


def test_the_garbage_collector_is_paused_throughout_a_take_and_resumes_after_one_that_failed():
    """A take makes no reference cycles: collections during one only walked what it held."""

    def seeing_the_collector(send, paused: list[bool]):
        async def send_and_see(records):
            paused.append(not gc.isenabled())
            return await send(records)

        return send_and_see

    for wiring in (Wiring(), Wiring(fail_output=True)):
        paused_at_sends: list[bool] = []
        wiring.output.send = seeing_the_collector(wiring.output.send, paused_at_sends)
        take = wiring.take([mark for pupil in "abc" for mark in marks(pupil, DAYS[:20])])
        with contextlib.suppress(ConnectionError):
            asyncio.run(wiring.batches.process(take))
        assert paused_at_sends and all(paused_at_sends) and gc.isenabled()


def test_a_far_future_mark_on_the_topic_cannot_silence_a_pupil():
    """A misbehaving producer writes a mark dated 2099 straight to the topic; later marks still alert."""
    wiring = Wiring()
    asyncio.run(wiring.batches.process(wiring.take(marks("a", [dt.date(2099, 6, 1)], code=""))))
    letters = wiring.output.decoded(topics.RISK_ENGINE_DLQ)
    assert len(letters) == 2 and all("after the latest date accepted (2026-07-31)" in x.reason for x in letters)
    asyncio.run(wiring.batches.process(wiring.take(marks("a", DAYS[:50]))))
    raised = {alert.rule for alert in wiring.output.decoded(topics.RISK_ALERTS)}
    assert {"missing_education", "persistent_absence", "unauthorised_10_in_10"} <= raised


def test_a_state_written_whole_by_the_earlier_version_is_rewritten_in_full_pieces():
    key, event = pupil_key(SCHOOL, "p"), faust_event(b"", 0, 0)
    current = Wiring()
    asyncio.run(current.batches.process(current.take(marks("p", DAYS[:40], code=""))))
    upgraded = Wiring()
    whole = pydantic_core.to_json(current.states.get(key, event))
    upgraded.state_table.data[key.encode()] = whole  # as the version before pieces stored it
    for wiring in (current, upgraded):
        asyncio.run(wiring.batches.process(wiring.take(marks("p", DAYS[40:41], code=""))))
    restarted = PupilStates(upgraded.state_table)  # reads only what the store holds now
    assert restarted.get(key, event) == current.states.get(key, event)
    assert sum(1 for stored in upgraded.state_table.data if b"#" in stored) >= 2  # its blocks were written


def test_the_states_a_worker_keeps_as_written_equal_what_the_store_holds_after_a_term_of_takes():
    """A state is read back as written, not decoded; so the engine must never change a state it
    was given, or the worker would go on from a state the store (and a restarted worker) lacks."""
    wiring = Wiring()
    codes = {"a": "", "b": "N", "c": "O"}  # each pupil's own code
    for day in range(0, 70, 7):  # a week a take
        take = [mark for pupil, code in codes.items() for mark in marks(pupil, DAYS[day : day + 7], code)]
        asyncio.run(wiring.batches.process(wiring.take(take)))
    event = faust_event(b"", 0, 0)
    restarted = PupilStates(wiring.state_table)
    for pupil in codes:
        key = pupil_key(SCHOOL, pupil)
        assert wiring.states.get(key, event) == restarted.get(key, event)
    assert {alert.rule for alert in wiring.output.decoded(topics.RISK_ALERTS)} >= {"missing_education"}


def test_a_state_another_worker_wrote_is_read_from_the_store_not_as_this_worker_wrote_it():
    key, event = pupil_key(SCHOOL, "p"), faust_event(b"", 0, 0)
    ours, theirs = Wiring(), Wiring()
    asyncio.run(ours.batches.process(ours.take(marks("p", DAYS[:30], code=""))))
    asyncio.run(theirs.batches.process(theirs.take(marks("p", DAYS[:30], code="N"))))
    ours.state_table.data.update(theirs.state_table.data)  # recovered from the changelog, say
    assert ours.states.get(key, event) == theirs.states.get(key, event)
    assert ours.sessions("p") == 60


def test_after_a_rebalance_a_settled_block_another_worker_corrected_is_read_from_the_store():
    """Absent N corrected to O weeks later leaves the head as it was (the counts do not move), so
    only forgetting what was written at the rebalance finds the corrected block."""
    key, event = pupil_key(SCHOOL, "p"), faust_event(b"", 0, 0)
    wiring = Wiring()
    forget_written_on_rebalance(wiring.app, wiring.states)
    asyncio.run(wiring.batches.process(wiring.take(marks("p", DAYS[:40], code="N"))))
    written = wiring.states.get(key, event)
    block = next(stored for stored in wiring.state_table.data if b"#" in stored)
    corrected = wiring.state_table.data[block].decode().replace("N", "O", 1).encode()
    asyncio.run(wiring.app.on_partitions_revoked.send(set()))
    wiring.state_table.data[block] = corrected  # the partition's new holder corrected a settled session
    asyncio.run(wiring.app.on_partitions_assigned.send(set()))
    read = wiring.states.get(key, event)
    assert read["records"] != written["records"] and read["counts"] == written["counts"]
    assert corrected.decode() in next(iter(read["records"].values()))


def test_a_pupil_at_two_schools_has_two_records_and_two_sets_of_alerts():
    """Moved (or dual registered): the new school's marks never touch the old school's record."""
    wiring = Wiring()
    asyncio.run(wiring.batches.process(wiring.take(marks("p", DAYS[:3], school=SCHOOL))))
    asyncio.run(wiring.batches.process(wiring.take(marks("p", DAYS[3:6], school="654321"))))
    assert wiring.sessions("p") == 6  # the first school's record holds only its own three days
    other = decode_head(wiring.state_table.data[pupil_key("654321", "p").encode()])
    assert other["school"] == "654321" and sum(row[0] for key, row in other["counts"].items() if "|Y|" in key) == 6
    alerts = wiring.output.decoded(topics.RISK_ALERTS)
    assert {(a.school_urn, a.rule) for a in alerts} == {
        (SCHOOL, "first_week_absence"),
        ("654321", "first_week_absence"),
    }
    assert len({a.alert_id for a in alerts}) == 2


AUTUMN_1 = ["2025/1-autumn/1"]


def enrol(wiring: Wiring, pupil: str, year_group: int) -> None:
    """What pupil.context would record for the pupil (written as the agent's stream would)."""
    context = PupilContext(pupil_id=pupil, school_urn=SCHOOL, year_group=year_group, admission_date=DAYS[0])
    wiring.context_table.data[pupil_key(SCHOOL, pupil)] = PupilContexts.encode(context)


def test_the_cohorts_are_recounted_from_the_store_when_partitions_change_and_follow_every_take():
    """The year groups' figures (the seasonal reference) equal a recount over the states held."""
    wiring = Wiring()
    pupils = [f"p{n}" for n in range(8)]
    for pupil in pupils:
        enrol(wiring, pupil, 8)
    for index, pupil in enumerate(pupils):  # half of them absent throughout (N)
        asyncio.run(wiring.batches.process(wiring.take(marks(pupil, DAYS[:30], code="" if index % 2 else "N"))))
    half = wiring.contexts.cohorts.change(SCHOOL, 8, AUTUMN_1, AUTUMN_1)
    assert (half.year_group, half.now) == (8, 0.5)
    restarted = Wiring()  # a new worker given the same store: recounts at its first take
    restarted.state_table.data.update(wiring.state_table.data)
    restarted.context_table.data.update(wiring.context_table.data)
    asyncio.run(restarted.batches.process(restarted.take(marks("new", DAYS[:1], code=""))))
    assert restarted.contexts.cohorts.change(SCHOOL, 8, AUTUMN_1, AUTUMN_1) == half
    restarted.state_table.data.clear()
    restarted.assignment = frozenset({1})  # a rebalance: another partition, recounted
    asyncio.run(restarted.batches.process(restarted.take(marks("new", DAYS[1:2], code=""))))
    assert restarted.contexts.cohorts.change(SCHOOL, 8, AUTUMN_1, AUTUMN_1) is None


def test_a_year_group_that_arrives_after_the_marks_moves_the_pupils_into_it():
    wiring = Wiring()
    pupils = [f"p{n}" for n in range(8)]
    for pupil in pupils:
        asyncio.run(wiring.batches.process(wiring.take(marks(pupil, DAYS[:30], code=""))))
    assert wiring.contexts.cohorts.change(SCHOOL, 9, AUTUMN_1, AUTUMN_1).year_group is None  # the school stands in
    for pupil in pupils:
        enrol(wiring, pupil, 9)
        asyncio.run(wiring.batches.process(wiring.take(marks(pupil, DAYS[30:31], code=""))))
    assert wiring.contexts.cohorts.change(SCHOOL, 9, AUTUMN_1, AUTUMN_1).year_group == 9


def test_a_context_stored_before_year_groups_were_kept_still_reads():
    wiring = Wiring()
    key = pupil_key(SCHOOL, "a")
    wiring.context_table.data[key] = Characteristics(fsm=True).model_dump_json().encode()
    assert wiring.enrolled.read(key) == (Characteristics(fsm=True), None)
    enrol(wiring, "a", 7)
    assert wiring.enrolled.read(key) == (Characteristics(), 7)


@pytest.mark.parametrize("lag, busy, healthy", [(0, False, True), (5, True, True), (5, False, False)])
def test_health_turns_bad_only_when_marks_wait_and_nothing_moves(lag, busy, healthy):
    now = [0.0]
    progress = Progress(stall_after_s=60, clock=lambda: now[0])
    for at in (0, 1, 62):  # observed every few seconds
        now[0] = at
        progress.observe(lag, busy)
    assert progress.healthy is healthy
    progress.finished(TopicPartition(topics.MARKS.name, 0), 1)
    progress.observe(lag, busy)
    assert progress.healthy  # progress again
