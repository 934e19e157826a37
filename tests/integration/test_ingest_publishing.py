"""Ingest against the real embedded broker: what reaches each topic, and what never does."""

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from services.ingest.app import create_app, open_database
from services.ingest.keys import issue_key
from services.ingest.pseudonym import pupil_id_for
from services.ingest.settings import Settings
from shared import topics
from tests.integration.topics import read_topic
from tests.payloads import SCHOOL, UPN, activity_row, mark_row, pupil_row

pytestmark = pytest.mark.integration
KEY = "integration-test-key"


@pytest.fixture
def ingest(tmp_path, kafka):
    settings = Settings(pseudonym_key=KEY, database_url=f"sqlite:///{tmp_path / 'ingest.db'}")
    headers = {"Authorization": f"Bearer {issue_key(open_database(settings), 'mis', [SCHOOL])}"}
    with TestClient(create_app(settings, kafka), headers=headers) as client:
        yield client


def test_json_marks_are_published_pseudonymously_keyed_by_school_and_pupil(ingest, kafka):
    rows = [
        {
            "school_urn": SCHOOL,
            "upn": UPN,
            "date": "2025-09-08",
            "session": s,
            "code": c,
            "recorded_at": "2025-09-08T09:05:00Z",
        }
        for s, c in (("AM", "N"), ("PM", "I"))
    ]
    assert ingest.post("/v1/marks", json=rows).json() == {"accepted": 2}
    published = read_topic(kafka, topics.MARKS, 2)
    pupil_id = pupil_id_for(UPN, KEY.encode())
    enrolment = f"{SCHOOL}|{pupil_id}".encode()  # keyed by school and pupil: one record per enrolment
    assert [(key, event.pupil_id, event.code) for key, event in published] == [
        (enrolment, pupil_id, "N"),
        (enrolment, pupil_id, "I"),
    ]
    assert all(UPN not in event.model_dump_json() for _, event in published)
    assert published[0][1].recorded_at == dt.datetime(2025, 9, 8, 9, 5, tzinfo=dt.UTC)


def test_csv_with_bom_publishes_the_same_marks_as_json(ingest, kafka):
    csv_body = (
        "\ufeffschool_urn,upn,date,session,code,minutes_late,recorded_at\r\n"
        f"{SCHOOL},{UPN},2025-09-08,AM,L,12,2025-09-08T09:05:00Z\r\n"
        f"{SCHOOL},{UPN},2025-09-08,PM,\\,,2025-09-08T13:35:00Z\r\n"
    ).encode()
    response = ingest.post("/v1/marks/csv", content=csv_body, headers={"Content-Type": "text/csv"})
    assert response.status_code == 202 and response.json() == {"accepted": 2}
    published = [event for _, event in read_topic(kafka, topics.MARKS, 2)]
    assert [(e.session, e.code, e.minutes_late) for e in published] == [("AM", "L", 12), ("PM", "\\", None)]


def test_pupil_identity_and_context_travel_on_separate_topics(ingest, kafka):
    pupil = pupil_row(characteristics={"fsm": True, "sen": "K", "young_carer": True}, area_code="E01012004")
    assert ingest.post("/v1/pupils", json=[pupil]).status_code == 202
    [(context_key, context)] = read_topic(kafka, topics.PUPIL_CONTEXT, 1)
    [(identity_key, identity)] = read_topic(kafka, topics.PUPIL_IDENTITY, 1)
    pupil_id = pupil_id_for(UPN, KEY.encode())
    assert context_key == identity_key == f"{SCHOOL}|{pupil_id}".encode()
    raw_context = context.model_dump_json()
    for secret in (UPN, "Maya", "Patel", "2012-04-17"):
        assert secret not in raw_context
    assert context.characteristics.fsm and context.characteristics.sen == "K" and context.area_code == "E01012004"
    assert (identity.upn, identity.given_name, identity.date_of_birth) == (UPN, "Maya", dt.date(2012, 4, 17))


def test_parents_contacts_travel_only_on_the_contacts_topic(ingest, kafka):
    row = {"school_urn": SCHOOL, "upn": UPN, "parents": [{"mobile": "07700 900123"}, {"email": "carer@example.com"}]}
    assert ingest.post("/v1/contacts", json=[row]).status_code == 202
    [(key, contacts)] = read_topic(kafka, topics.CONTACTS, 1)
    assert key == f"{SCHOOL}|{pupil_id_for(UPN, KEY.encode())}".encode() and UPN not in contacts.model_dump_json()
    assert [p.mobile for p in contacts.parents] == ["07700 900123", None] and not contacts.opted_out
    refused = ingest.post(
        "/v1/contacts", json=[row, {**row, "parents": [{"mobile": "12345"}]}, {**row, "parents": [{}]}]
    )
    assert refused.status_code == 422
    assert {(e["index"], e["field"]) for e in refused.json()["errors"]} == {(1, "parents.mobile"), (2, "parents")}


def test_calendar_is_published_keyed_by_school(ingest, kafka):
    calendar = {
        "school_urn": SCHOOL,
        "academic_year": "2025/26",
        "terms": [{"name": "autumn", "start": "2025-09-03", "end": "2025-12-19"}],
        "closures": ["2025-11-24"],
    }
    assert ingest.post("/v1/calendars", json=calendar).status_code == 202
    [(key, event)] = read_topic(kafka, topics.SCHOOL_CALENDAR, 1)
    assert key == SCHOOL.encode() and event.closures == [dt.date(2025, 11, 24)]


def test_a_batch_with_one_bad_row_publishes_nothing(ingest, kafka):
    assert ingest.post("/v1/marks", json=[mark_row(), mark_row(session="PM", code="H")]).status_code == 422
    assert ingest.post("/v1/marks", json=[mark_row(code="I")]).status_code == 202
    published = read_topic(kafka, topics.MARKS, 1, quiet_s=1.5)
    assert [event.code for _, event in published] == ["I"]  # nothing from the refused batch


def test_activities_and_their_registers_reach_their_topics_pseudonymously(ingest, kafka):
    assert ingest.post("/v1/activities", json=[activity_row(school_urn=SCHOOL)]).json() == {"accepted": 1}
    csv_body = (
        "activity_id,school_urn,upn,date,attended,recorded_at\n"
        f"ART-2026-01,{SCHOOL},{UPN},2025-10-04,true,2025-10-04T12:30:00Z\n"
    ).encode()
    assert ingest.post("/v1/activities/attendance/csv", content=csv_body).json() == {"accepted": 1}
    [(key, activity)] = read_topic(kafka, topics.ACTIVITIES, 1)
    assert key == b"ART-2026-01" and activity.kind == "cultural_workshop" and activity.school_urn == SCHOOL
    [(key, present)] = read_topic(kafka, topics.ACTIVITY_ATTENDANCE, 1)
    pupil_id = pupil_id_for(UPN, KEY.encode())
    assert key == f"{SCHOOL}|{pupil_id}".encode()
    assert (present.pupil_id, present.attended, present.date) == (pupil_id, True, dt.date(2025, 10, 4))
    assert UPN not in present.model_dump_json()
