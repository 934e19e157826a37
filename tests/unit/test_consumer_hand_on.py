"""The risk engine's consumer hands each fetched record on to the streams without a task of its own.

faust's drain calls `wait_first(hand_on(record), suspend_flow.wait())` for every record, and mode's
wait_first made four tasks for it. The consumer's wait_first runs the hand-on at once in the
drain's task; these check that it still means what mode's does."""

import asyncio
import inspect

import pytest
from mode.utils.locks import Event

from services.risk_engine.app import App


def consumer():
    return App("test-hand-on", broker="kafka://127.0.0.1:9").consumer  # never connected


def closed(coroutine) -> bool:
    return inspect.getcoroutinestate(coroutine) == inspect.CORO_CLOSED


def test_a_hand_on_that_need_not_wait_finishes_in_the_callers_task_and_the_rest_never_start():
    async def scenario():
        ran_in = []

        async def hand_on(record):
            ran_in.append(asyncio.current_task())
            return record

        suspended = Event().wait()
        handed = hand_on("mark")
        results = await consumer().wait_first(handed, suspended)
        assert (results.done, results.results, results.stopped) == ([handed], ["mark"], False)
        assert ran_in == [asyncio.current_task()]
        assert closed(suspended)  # closed unstarted, so never reported as not awaited

    asyncio.run(scenario())


def test_a_hand_on_that_must_wait_carries_on_and_finishes():
    async def scenario():
        room = asyncio.get_running_loop().create_future()

        async def hand_on(record):
            return await room, record

        handed = hand_on("mark")
        waiting = asyncio.ensure_future(consumer().wait_first(handed, Event().wait()))
        await asyncio.sleep(0.01)
        assert not waiting.done()
        room.set_result("room")
        results = await waiting
        assert (results.done, results.results, results.stopped) == ([handed], [("room", "mark")], False)

    asyncio.run(scenario())


def test_a_hand_on_waiting_when_the_flow_is_suspended_is_abandoned():
    async def scenario():
        cleaned_up = []

        async def hand_on(record):
            try:
                await asyncio.get_running_loop().create_future()  # a stream's queue that stays full
            finally:
                cleaned_up.append(record)

        flow_suspended = Event()
        handed, suspended = hand_on("mark"), flow_suspended.wait()
        waiting = asyncio.ensure_future(consumer().wait_first(handed, suspended))
        await asyncio.sleep(0.01)
        flow_suspended.set()
        results = await waiting
        assert (results.done, results.stopped) == ([suspended], False)
        await asyncio.sleep(0)  # the abandoned hand-on's cancellation runs
        assert cleaned_up == ["mark"] and closed(handed)

    asyncio.run(scenario())


def test_a_hand_on_that_fails_at_once_raises_and_the_rest_never_start():
    async def scenario():
        async def hand_on(record):
            raise ValueError(record)

        suspended = Event().wait()
        with pytest.raises(ValueError, match="undecodable"):
            await consumer().wait_first(hand_on("undecodable"), suspended)
        assert closed(suspended)

    asyncio.run(scenario())


def test_a_hand_on_that_fails_after_waiting_raises():
    async def scenario():
        async def hand_on(record):
            await asyncio.sleep(0)
            raise ValueError(record)

        with pytest.raises(ValueError, match="undecodable"):
            await consumer().wait_first(hand_on("undecodable"), Event().wait())

    asyncio.run(scenario())


def test_once_the_consumer_has_stopped_the_answer_says_so_as_modes_does():
    async def scenario():
        async def hand_on(record):
            return record

        stopped = consumer()
        stopped._stopped.set()
        results = await stopped.wait_first(hand_on("mark"), Event().wait())
        assert results.stopped and results.done == []

    asyncio.run(scenario())
