"""Every error ingest gives, with what it names. No broker is reachable here, so a 202 is impossible
and any request that got past validation would be a 503: a 4xx proves nothing was published."""

import pytest

from tests.payloads import SCHOOL, UPN, mark_row, pupil_row
from tests.service.conftest import OTHER_SCHOOL


def test_missing_key_is_401_problem_json(client):
    response = client.post("/v1/marks", json=[mark_row()])
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer ews_not-a-key", "Basic abc", "Bearer "])
def test_bad_key_is_401(client, header):
    assert client.post("/v1/marks", json=[mark_row()], headers={"Authorization": header}).status_code == 401


def test_revoked_key_is_401(client, keys):
    response = client.post("/v1/marks", json=[mark_row()], headers=keys["revoked"])
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_school_outside_the_keys_scope_is_403_naming_it(client, keys):
    response = client.post("/v1/marks", json=[mark_row(), mark_row(school_urn=OTHER_SCHOOL)], headers=keys["live"])
    assert response.status_code == 403
    assert OTHER_SCHOOL in response.json()["detail"]


def test_every_bad_row_is_listed_with_index_field_value_and_reason(client, keys):
    rows = [
        mark_row(),
        mark_row(upn="A" + UPN[1:] if UPN[0] != "A" else "B" + UPN[1:]),
        mark_row(code="H"),
        mark_row(school_urn="12345"),
        mark_row(date="2025-02-30", session="EVENING"),
        mark_row(code="J"),
        mark_row(recorded_at="2025-09-08T09:05:00"),
    ]
    response = client.post("/v1/marks", json=rows, headers=keys["live"])
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert "nothing in this request was accepted" in body["detail"]
    found = {(e["index"], e["field"]): e for e in body["errors"]}
    assert set(found) == {
        (1, "upn"),
        (2, "code"),
        (3, "school_urn"),
        (4, "date"),
        (4, "session"),
        (5, "code"),
        (6, "recorded_at"),
    }
    assert "check letter" in found[(1, "upn")]["reason"] and found[(1, "upn")]["value"] == rows[1]["upn"]
    assert "retired code 'H'" in found[(2, "code")]["reason"] and "G" in found[(2, "code")]["reason"]
    assert "J1" in found[(5, "code")]["reason"]
    assert found[(3, "school_urn")]["value"] == "12345"
    assert found[(4, "session")]["value"] == "EVENING"


def test_a_batch_over_five_thousand_rows_is_refused(make_client, keys):
    with make_client(max_body_bytes=10_000_000) as roomy:
        response = roomy.post("/v1/marks", json=[mark_row()] * 5_001, headers=keys["live"])
    assert response.status_code == 422
    assert "at most 5000" in response.json()["errors"][0]["reason"]


def test_body_over_the_limit_is_413_before_parsing(client, keys):
    response = client.post("/v1/marks", content=b"[" + b" " * 300_000 + b"]", headers=keys["live"])
    assert response.status_code == 413
    assert "limited to 200000 bytes" in response.json()["detail"]


def test_chunked_body_over_the_limit_is_413(client, keys):
    def chunks():
        for _ in range(30):
            yield b" " * 10_000

    response = client.post("/v1/marks", content=chunks(), headers={**keys["live"], "Content-Type": "application/json"})
    assert response.status_code == 413


def test_too_many_requests_is_429_with_retry_after(make_client, keys):
    with make_client(rate_limit="3/minute") as limited:
        codes = [
            limited.post("/v1/marks", json=[mark_row(code="bad")], headers=keys["live"]).status_code for _ in range(4)
        ]
        assert codes == [422, 422, 422, 429]
        last = limited.post("/v1/marks", json=[mark_row()], headers=keys["live"])
        assert last.status_code == 429 and int(last.headers["retry-after"]) >= 1


def test_unreachable_broker_is_503_with_retry_after(client, keys):
    response = client.post("/v1/marks", json=[mark_row()], headers=keys["live"])
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "Resend the whole request" in response.json()["detail"]


def test_csv_with_a_missing_column_names_it(client, keys):
    body = "school_urn,upn,date,session,recorded_at\n123456,X,2025-09-08,AM,2025-09-08T09:05:00Z\n"
    response = client.post("/v1/marks/csv", content=body.encode(), headers=keys["live"])
    assert response.status_code == 422
    assert "lacks column(s): code" in response.json()["detail"]


def test_csv_that_is_not_utf8_is_refused_naming_the_byte(client, keys):
    body = "school_urn,upn,date,session,code,recorded_at\n123456,Ä,2025-09-08,AM,N,x\n".encode("latin-1")
    response = client.post("/v1/marks/csv", content=body, headers=keys["live"])
    assert response.status_code == 422 and "not UTF-8" in response.json()["detail"]


def test_csv_row_errors_use_the_same_shape_as_json(client, keys):
    body = (
        "\ufeffschool_urn,upn,date,session,code,minutes_late,recorded_at\n"
        f"123456,{UPN},2025-09-08,AM,L,12,2025-09-08T09:05:00Z\n"
        f"123456,{UPN},2025-09-08,PM,H,,2025-09-08T13:35:00Z\n"
    )
    response = client.post("/v1/marks/csv", content=body.encode(), headers=keys["live"])
    assert response.status_code == 422
    assert [(e["index"], e["field"], e["value"]) for e in response.json()["errors"]] == [(1, "code", "H")]


def test_pupil_with_leaving_before_admission_is_refused(client, keys):
    """Everything else about the pupil is valid, so the date order alone refuses it."""
    pupil = pupil_row(admission_date="2023-09-04", leaving_date="2023-01-01")
    [error] = client.post("/v1/pupils", json=[pupil], headers=keys["live"]).json()["errors"]
    assert (error["index"], error["field"], error["value"]) == (0, "leaving_date", "2023-01-01")
    assert "before admission_date 2023-09-04" in error["reason"]


def test_an_invalid_sen_status_is_named_with_its_value(client, keys):
    [error] = client.post("/v1/pupils", json=[pupil_row(characteristics={"sen": "X"})], headers=keys["live"]).json()[
        "errors"
    ]
    assert (error["field"], error["value"]) == ("characteristics.sen", "X")


def test_calendar_with_half_term_outside_its_term_is_refused(client, keys):
    calendar = {
        "school_urn": SCHOOL,
        "academic_year": "2025/26",
        "terms": [
            {
                "name": "autumn",
                "start": "2025-09-03",
                "end": "2025-12-19",
                "half_term_start": "2026-02-16",
                "half_term_end": "2026-02-20",
            }
        ],
    }
    response = client.post("/v1/calendars", json=calendar, headers=keys["live"])
    assert response.status_code == 422
    assert "half-term must fall inside the term" in response.json()["errors"][0]["reason"]
