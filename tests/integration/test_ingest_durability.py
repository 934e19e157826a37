"""Stop the broker mid-stream: the client is told (503 + Retry-After), resends, and nothing is
lost or counted twice downstream. A durable broker, so the restart keeps the topic: Tansu on its s3
storage, Apache Kafka on its log."""

import collections
import datetime as dt
import time

import pytest
from fastapi.testclient import TestClient

from services.ingest.app import create_app, open_database
from services.ingest.keys import issue_key
from services.ingest.settings import Settings
from services.risk_engine.attendance import sessions_in
from services.risk_engine.engine import Context, process_mark
from services.risk_engine.rules import Thresholds
from shared import topics
from shared.calendar import SchoolDays
from shared.codes import current_table
from shared.upn import make_upn
from tests.integration.topics import read_topic

pytestmark = pytest.mark.integration
SCHOOL = "123456"


def marks() -> list[dict]:
    rows = []
    for pupil in range(10):
        upn = make_upn(807, 4001, 18, pupil)
        for day in range(30):
            date = dt.date(2025, 9, 8) + dt.timedelta(days=day)
            for session in ("AM", "PM"):
                code = "N" if (pupil + day) % 7 == 0 else ("/" if session == "AM" else "\\")
                rows.append(
                    {"school_urn": SCHOOL, "upn": upn, "date": date.isoformat(), "session": session, "code": code,
                     "recorded_at": f"{date.isoformat()}T09:30:00Z"}
                )  # fmt: skip
    return rows


def send_until_accepted(client: TestClient, batch: list[dict], give_up_s: float = 60) -> int:
    """What a well-behaved connector does: resend the whole batch after Retry-After."""
    deadline, refusals = time.monotonic() + give_up_s, 0
    while time.monotonic() < deadline:
        response = client.post("/v1/marks", json=batch)
        if response.status_code == 202:
            return refusals
        assert response.status_code == 503, response.text
        refusals += 1
        time.sleep(int(response.headers["Retry-After"]))
    raise AssertionError("ingest never accepted the batch after the broker came back")


def test_broker_stopped_mid_stream_loses_and_doubles_nothing(durable_broker, tmp_path):
    settings = Settings(
        pseudonym_key="k", database_url=f"sqlite:///{tmp_path / 'ingest.db'}", publish_timeout_s=3, retry_after_s=1
    )
    headers = {"Authorization": f"Bearer {issue_key(open_database(settings), 'mis', [SCHOOL])}"}
    rows = marks()
    batches = [rows[i : i + 50] for i in range(0, len(rows), 50)]
    with TestClient(create_app(settings, durable_broker.kafka), headers=headers) as client:
        for batch in batches[:5]:
            assert client.post("/v1/marks", json=batch).status_code == 202
        durable_broker.stop_broker()
        refused = client.post("/v1/marks", json=batches[5])
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
        durable_broker.start_broker()
        for batch in batches[5:]:
            send_until_accepted(client, batch)

    published = [event for _, event in read_topic(durable_broker.kafka, topics.MARKS, len(rows), timeout_s=60)]
    assert len({(e.pupil_id, e.session_key) for e in published}) == len(rows)  # every mark arrived

    # Downstream state counts each session once, however many times it was published.
    context, states = Context(current_table(), Thresholds(), SchoolDays()), {}
    for event in published:
        step = process_mark(states.get(event.pupil_id), event, context)
        states[event.pupil_id] = step.state if step.changed else states[event.pupil_id]
    expected = collections.Counter(row["code"] != "N" for row in rows)
    codes = [code for s in states.values() for *_, code in sessions_in(s["records"])]
    absent, total = codes.count("N"), len(codes)
    assert (total, absent) == (len(rows), expected[False])
