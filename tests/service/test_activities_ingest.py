"""Activities and their registers through ingest: the same auth, validation and problem+json rules as
marks. No broker is reachable here, so anything that passed validation is a 503, never a 202."""

import pytest

from tests.payloads import SCHOOL, activity_attendance_row, activity_row
from tests.service.conftest import OTHER_SCHOOL

ROUTES = ["/v1/activities", "/v1/activities/attendance"]


@pytest.mark.parametrize("route", ROUTES + [route + "/csv" for route in ROUTES])
def test_every_activity_route_needs_a_key(client, route):
    response = client.post(route, content=b"[]")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_bad_activity_rows_are_listed_with_index_field_and_value(client, keys):
    rows = [activity_row(), activity_row(kind="bingo"), activity_row(activity_id="has space"), activity_row(extra=1)]
    response = client.post("/v1/activities", json=rows, headers=keys["live"])
    assert response.status_code == 422
    found = {(e["index"], e["field"]): e for e in response.json()["errors"]}
    assert set(found) == {(1, "kind"), (2, "activity_id"), (3, "extra")}
    assert found[(1, "kind")]["value"] == "bingo" and "cultural_workshop" in found[(1, "kind")]["reason"]


def test_an_activity_a_school_runs_needs_a_key_for_that_school(client, keys):
    response = client.post("/v1/activities", json=[activity_row(school_urn=OTHER_SCHOOL)], headers=keys["live"])
    assert response.status_code == 403 and OTHER_SCHOOL in response.json()["detail"]


def test_a_borough_wide_activity_passes_validation_with_any_key(client, keys):
    assert client.post("/v1/activities", json=[activity_row()], headers=keys["live"]).status_code == 503


def test_bad_attendance_rows_name_row_field_and_value(client, keys):
    rows = [
        activity_attendance_row(),
        activity_attendance_row(attended="sometimes"),
        activity_attendance_row(date="2999-01-01"),
        activity_attendance_row(upn="nonsense"),
    ]
    response = client.post("/v1/activities/attendance", json=rows, headers=keys["live"])
    assert response.status_code == 422
    found = {(e["index"], e["field"]): e for e in response.json()["errors"]}
    assert set(found) == {(1, "attended"), (2, "date"), (3, "upn")}
    assert "after today" in found[(2, "date")]["reason"]


def test_attendance_for_a_school_outside_the_key_is_403(client, keys):
    rows = [activity_attendance_row(), activity_attendance_row(school_urn=OTHER_SCHOOL)]
    response = client.post("/v1/activities/attendance", json=rows, headers=keys["live"])
    assert response.status_code == 403 and OTHER_SCHOOL in response.json()["detail"]


def test_csv_attendance_rows_are_validated_like_json_rows(client, keys):
    body = (
        "activity_id,school_urn,upn,date,attended,recorded_at\n"
        f"ART-1,{SCHOOL},{activity_attendance_row()['upn']},2025-10-04,true,2025-10-04T12:30:00Z\n"
        f"ART-1,{SCHOOL},{activity_attendance_row()['upn']},2025-10-04,maybe,2025-10-04T12:30:00Z\n"
    )
    response = client.post("/v1/activities/attendance/csv", content=body.encode(), headers=keys["live"])
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["index"], error["field"], error["value"]) == (1, "attended", "maybe")


def test_an_activities_csv_with_a_missing_column_names_it(client, keys):
    response = client.post("/v1/activities/csv", content=b"activity_id,kind\nA-1,trip\n", headers=keys["live"])
    assert response.status_code == 422
    assert "lacks column(s): name" in response.json()["detail"]


def test_empty_optional_csv_cells_are_left_out(client, keys):
    body = b"activity_id,name,kind,provider_id,school_urn,area_code\nA-1,Trip to the museum,trip,,,\n"
    assert client.post("/v1/activities/csv", content=body, headers=keys["live"]).status_code == 503
