"""Takes sized by what waits (services/risk_engine/takes.py), on a real broker: a backlog goes
through in full takes, and a live session's marks are not held back waiting for a full one."""

import httpx
import pytest

from infra.local.readiness import wait_until
from shared import topics
from tests.integration.outcomes import PUPILS, SCHOOL, term_rows

pytestmark = pytest.mark.integration


def marks_processed(stack) -> float:
    return stack.metric("risk_engine", "risk_engine_events_total", topic=topics.MARKS.name)


def takes(stack, le: str = "+Inf") -> float:
    """Takes of at most `le` marks so far."""
    return stack.metric("risk_engine", "risk_engine_take_marks_bucket", le=le)


def sizes(stack) -> dict[str, float]:
    return {le: takes(stack, le) for le in ("100.0", "250.0", "1000.0", "2000.0", "4000.0", "+Inf")}


def test_a_backlog_goes_in_full_takes_and_a_live_session_at_once(stack, kafka):
    """The backlog is the term but its last day for 120 pupils (17,040 marks, about a full take on each
    of the four partitions, so a full take waits whichever partition the stream hands over first); the
    live session is 120 marks."""
    connector = {"Authorization": f"Bearer {stack.connector_key('mis', [SCHOOL])}"}
    pupils = 3 * PUPILS
    rows = term_rows(pupils)
    backlog, live = rows[: -2 * pupils], rows[-2 * pupils : -pupils]  # the term but its last day; one session
    stack.start("ingest")
    with httpx.Client(base_url=stack.url("ingest"), headers=connector, timeout=60) as client:
        for start in range(0, len(backlog), 400):
            assert client.post("/v1/marks", json=backlog[start : start + 400]).status_code == 202
        stack.start("risk_engine")
        wait_until(lambda: marks_processed(stack) >= len(backlog), 120, "the backlog processed")
        # Cut on time alone (faust's take_events), a take held a tenth of a second of marks, about a
        # thousand here; while a full take's worth (4,000 by default) waits, a take now fills to it.
        assert takes(stack) - takes(stack, le="2000.0") >= 1, f"takes of at most n marks: {sizes(stack)}"
        before = takes(stack, le="250.0")
        assert client.post("/v1/marks", json=live).status_code == 202
        wait_until(lambda: marks_processed(stack) >= len(backlog) + len(live), 30, "the live session")
    assert takes(stack, le="250.0") > before, sizes(stack)  # in takes cut on time, not held for more
