"""The Wonde pull connector against a local server speaking Wonde's documented shape."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fastapi.testclient import TestClient

from services.ingest.app import create_app, open_database
from services.ingest.connectors.cli import pull_school
from services.ingest.connectors.wonde import CursorStore, MappingProblem
from services.ingest.keys import issue_key
from services.ingest.settings import Settings
from shared import topics
from shared.upn import make_upn
from tests.integration.topics import read_topic

pytestmark = pytest.mark.integration
SCHOOL_ID, SCHOOL_URN = "A1930499544", "123456"
UPNS = [make_upn(807, 4001, 18, n) for n in range(3)]


def record(n: int, upn: str, date: str, session: str, code: str, updated: str) -> dict:
    wonde_date = {"timezone_type": 3, "timezone": "Europe/London"}
    return {
        "id": f"R{n}",
        "session": session,
        "date": {"date": f"{date} 00:00:00.000000", **wonde_date},
        "student": {"data": {"id": f"S{upn[-3:]}", "upn": upn, "forename": "never used"}},
        "attendance_code": {"data": {"code": code, "description": "from the MIS"}},
        "updated_at": {"date": f"{updated}.000000", **wonde_date},
    }


class FakeWonde:
    def __init__(self) -> None:
        self.records: list[dict] = []
        self.requests: list[dict] = []
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def _handler(self):
        wonde = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's hook name
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                wonde.requests.append({"path": url.path, **query})
                assert url.path == f"/v1.0/schools/{SCHOOL_ID}/attendance/session"
                assert self.headers["Authorization"] == "Bearer wonde-token"
                after = query.get("updated_after", "")
                matching = [r for r in wonde.records if r["updated_at"]["date"][:19] > after]
                page, per_page = int(query["page"]), int(query["per_page"])
                body = {
                    "data": matching[(page - 1) * per_page : page * per_page],
                    "meta": {
                        "pagination": {
                            "more": page * per_page < len(matching),
                            "current_page": page,
                            "per_page": per_page,
                        }
                    },
                }
                payload = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def wonde():
    fake = FakeWonde()
    yield fake
    fake.server.shutdown()


@pytest.fixture
def ingest(tmp_path, kafka):
    settings = Settings(pseudonym_key="k", database_url=f"sqlite:///{tmp_path / 'ingest.db'}")
    headers = {"Authorization": f"Bearer {issue_key(open_database(settings), 'wonde', [SCHOOL_URN])}"}
    with TestClient(create_app(settings, kafka), headers=headers) as client:
        yield client


def test_pull_pages_through_maps_sub_codes_and_resumes_from_its_cursor(wonde, ingest, kafka, tmp_path):
    wonde.records = [
        record(1, UPNS[0], "2025-09-08", "AM", "/", "2025-09-08 09:05:00"),
        record(2, UPNS[0], "2025-09-08", "PM", "I01", "2025-09-08 13:40:00"),  # BST: 12:40 UTC
        record(3, UPNS[1], "2025-09-08", "AM", "N", "2025-09-08 09:06:00"),
        record(4, UPNS[2], "2025-09-08", "AM", "L01", "2025-09-08 09:07:00"),
        record(5, UPNS[2], "2025-09-08", "PM", "\\", "2025-09-08 13:36:00"),
    ]
    store = CursorStore(tmp_path / "wonde-state.json")
    with httpx.Client(base_url=wonde.url, headers={"Authorization": "Bearer wonde-token"}) as client:
        assert pull_school(client, ingest, store, SCHOOL_ID, SCHOOL_URN, per_page=2) == 5
        assert [r["page"] for r in wonde.requests] == ["1", "2", "3"]
        assert store.load(SCHOOL_ID).updated_after == "2025-09-08 13:40:00"

        # Next day: a parent calls, N becomes I. Only the change is fetched.
        wonde.records.append(record(3, UPNS[1], "2025-09-08", "AM", "I02", "2025-09-09 10:15:00"))
        wonde.requests.clear()
        assert pull_school(client, ingest, store, SCHOOL_ID, SCHOOL_URN, per_page=2) == 1
        assert wonde.requests[0]["updated_after"] == "2025-09-08 13:40:00"

    published = [event for _, event in read_topic(kafka, topics.MARKS, 6)]  # partitions interleave
    assert sorted((e.session, e.code, e.recorded_at.isoformat()) for e in published) == sorted(
        [
            ("AM", "/", "2025-09-08T08:05:00+00:00"),
            ("PM", "I", "2025-09-08T12:40:00+00:00"),
            ("AM", "N", "2025-09-08T08:06:00+00:00"),
            ("AM", "L", "2025-09-08T08:07:00+00:00"),
            ("PM", "\\", "2025-09-08T12:36:00+00:00"),
            ("AM", "I", "2025-09-09T09:15:00+00:00"),
        ]
    )


def test_unmappable_code_stops_before_its_page_and_a_rerun_resumes_there(wonde, ingest, kafka, tmp_path):
    wonde.records = [
        record(1, UPNS[0], "2025-09-08", "AM", "/", "2025-09-08 09:05:00"),
        record(2, UPNS[1], "2025-09-08", "AM", "/", "2025-09-08 09:05:30"),
        record(3, UPNS[2], "2025-09-08", "AM", "Q99", "2025-09-08 09:06:00"),
    ]
    store = CursorStore(tmp_path / "wonde-state.json")
    with httpx.Client(base_url=wonde.url, headers={"Authorization": "Bearer wonde-token"}) as client:
        with pytest.raises(MappingProblem, match=r"record R3: attendance_code 'Q99' has no statutory mapping"):
            pull_school(client, ingest, store, SCHOOL_ID, SCHOOL_URN, per_page=2)
        assert store.load(SCHOOL_ID).next_page == 2
        wonde.records[2] = record(3, UPNS[2], "2025-09-08", "AM", "I01", "2025-09-08 09:06:00")
        wonde.requests.clear()
        assert pull_school(client, ingest, store, SCHOOL_ID, SCHOOL_URN, per_page=2) == 1
        assert wonde.requests[0]["page"] == "2"
    assert len(read_topic(kafka, topics.MARKS, 3)) == 3
