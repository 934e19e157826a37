"""Loading last year's marks before going live (issue #14, item 6): with RISK_ENGINE_ALERTS_FROM
set, a term of history sent through ingest as CSV raises nothing, and the pupil's first live mark
raises the alert the history holds, once."""

import datetime as dt

import httpx
import pytest

from infra.local.readiness import wait_until
from shared import topics
from tests.integration.test_end_to_end import SCHOOL, SLIPPING, autumn_term_marks
from tests.integration.topics import read_topic

pytestmark = pytest.mark.integration
LIVE_FROM = dt.date(2026, 1, 5)  # the first day of the spring term


def as_csv(rows: list[dict]) -> str:
    header = ["school_urn", "upn", "date", "session", "code", "recorded_at"]
    return "\n".join([",".join(header), *(",".join(row[name] for name in header) for row in rows)]) + "\n"


def test_history_raises_nothing_and_the_first_live_mark_raises_once(stack, kafka):
    stack.env["RISK_ENGINE_ALERTS_FROM"] = LIVE_FROM.isoformat()
    connector = {"Authorization": f"Bearer {stack.connector_key('mis', [SCHOOL])}"}
    stack.start("ingest", "risk_engine")
    history = autumn_term_marks()
    with httpx.Client(base_url=stack.url("ingest"), headers=connector, timeout=60) as client:
        for start in range(0, len(history), 1000):
            sent = client.post("/v1/marks/csv", content=as_csv(history[start : start + 1000]),
                               headers={"Content-Type": "text/csv"})  # fmt: skip
            assert sent.status_code == 202, sent.text
        wait_until(lambda: stack.metric("risk_engine", "risk_engine_events_total") >= len(history), 120, "history")
        assert read_topic(kafka, topics.RISK_ALERTS, 0, timeout_s=3) == []
        live = {**history[0], "upn": SLIPPING, "date": LIVE_FROM.isoformat(), "code": "/",
                "recorded_at": dt.datetime.combine(LIVE_FROM, dt.time(9, 30), tzinfo=dt.UTC).isoformat()}  # fmt: skip
        assert client.post("/v1/marks", json=[live]).status_code == 202
    [(_, alert)] = read_topic(kafka, topics.RISK_ALERTS, 1, timeout_s=60, quiet_s=3)
    assert (alert.rule, alert.transition, alert.episode, alert.as_of) == ("persistent_absence", "raised", 1, LIVE_FROM)
