"""Input a hostile or broken connector sent that was accepted or answered 500 (issue #10, items 1, 10-12).

No broker is reachable here, so anything that passed validation would be a 503: a 4xx proves the
request was refused before anything could be published."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from services.ingest.schemas import MarkIn
from tests.payloads import UPN, calendar_body, mark_row, pupil_row

LONDON = ZoneInfo("Europe/London")


def london_today() -> dt.date:
    return dt.datetime.now(LONDON).date()


def errors_of(response) -> set[tuple[int | None, str | None]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {(e["index"], e["field"]) for e in response.json()["errors"]}


def test_a_mark_dated_before_2000_is_refused_naming_its_row(client, keys):
    rows = [mark_row(), mark_row(date="0001-01-01", recorded_at="2025-09-08T09:05:00Z"), mark_row(session="PM")]
    assert errors_of(client.post("/v1/marks", json=rows, headers=keys["live"])) == {(1, "date")}


def test_a_mark_dated_after_today_is_refused(client, keys):
    tomorrow = london_today() + dt.timedelta(days=1)
    row = mark_row(date=tomorrow.isoformat(), recorded_at=dt.datetime.now(dt.UTC).isoformat())
    response = client.post("/v1/marks", json=[row], headers=keys["live"])
    assert errors_of(response) == {(0, "date")}
    assert "after today" in response.json()["errors"][0]["reason"]


def test_the_future_allowance_is_configurable(make_client, keys):
    tomorrow = london_today() + dt.timedelta(days=1)
    row = mark_row(date=tomorrow.isoformat(), recorded_at=dt.datetime.now(dt.UTC).isoformat())
    with make_client(future_days_allowed=2) as lenient:
        assert lenient.post("/v1/marks", json=[row], headers=keys["live"]).status_code == 503  # valid, no broker


def test_a_recording_time_ahead_of_the_clock_is_refused(client, keys):
    ahead = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    row = mark_row(date=london_today().isoformat(), recorded_at=ahead.isoformat())
    assert errors_of(client.post("/v1/marks", json=[row], headers=keys["live"])) == {(0, "recorded_at")}


def test_a_recording_time_over_a_year_before_the_mark_is_refused(client, keys):
    row = mark_row(date="2025-09-08", recorded_at="2024-09-01T09:00:00Z")
    assert errors_of(client.post("/v1/marks", json=[row], headers=keys["live"])) == {(0, "recorded_at")}


def marks_body_with_minutes_late(number: str) -> str:
    """A JSON body written by hand: json.dumps cannot write these numbers."""
    row = json.dumps(mark_row(code="L", minutes_late=0))
    return "[" + row.replace('"minutes_late": 0', f'"minutes_late": {number}') + "]"


@pytest.mark.parametrize("number", ["NaN", "1e400", "-Infinity"])
def test_numbers_json_cannot_echo_are_a_422_not_a_500(client, keys, number):
    body = marks_body_with_minutes_late(number)
    response = client.post("/v1/marks", content=body, headers={**keys["live"], "Content-Type": "application/json"})
    assert errors_of(response) == {(0, "minutes_late")}
    assert response.json()["errors"][0]["value"] in ("nan", "inf", "-inf")


def test_a_five_thousand_digit_integer_is_a_422_naming_where(client, keys):
    body = marks_body_with_minutes_late("1" * 5000)
    response = client.post("/v1/marks", content=body, headers={**keys["live"], "Content-Type": "application/json"})
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert "number out of range at line 1" in response.json()["detail"]
    assert len(response.text) < 2000  # the body is not echoed back


def test_malformed_json_is_a_422_problem_naming_where(client, keys):
    response = client.post("/v1/marks", content=b'[{"school_urn": ', headers=keys["live"])
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert "JSON" in response.json()["detail"]


def test_malformed_json_without_a_key_is_401(client):
    assert client.post("/v1/marks", content=b"{{{", headers={"Content-Type": "application/json"}).status_code == 401


def test_a_csv_field_over_the_parser_limit_is_a_422(client, keys):
    body = f"school_urn,upn,date,session,code,recorded_at\n123456,{'X' * 200_000},2025-09-08,AM,N,x\n"
    response = client.post("/v1/marks/csv", content=body.encode(), headers=keys["live"])
    assert response.status_code in (413, 422) and response.headers["content-type"] == "application/problem+json"


def test_a_csv_field_over_the_parser_limit_names_its_line(make_client, keys):
    body = f"school_urn,upn,date,session,code,recorded_at\n123456,{'X' * 200_000},2025-09-08,AM,N,x\n"
    with make_client(max_body_bytes=1_000_000) as roomy:
        response = roomy.post("/v1/marks/csv", content=body.encode(), headers=keys["live"])
    assert response.status_code == 422 and "line 2" in response.json()["detail"]


def test_a_csv_with_a_duplicated_column_is_refused(client, keys):
    body = f"school_urn,upn,date,session,code,code,recorded_at\n123456,{UPN},2025-09-08,AM,N,I,2025-09-08T09:05:00Z\n"
    response = client.post("/v1/marks/csv", content=body.encode(), headers=keys["live"])
    assert response.status_code == 422 and "code" in response.json()["detail"]
    assert "more than once" in response.json()["detail"]


def test_a_date_of_birth_in_the_future_is_refused(client, keys):
    future = (london_today() + dt.timedelta(days=30)).isoformat()
    pupil = pupil_row(date_of_birth=future, admission_date=(london_today() + dt.timedelta(days=60)).isoformat())
    assert (0, "date_of_birth") in errors_of(client.post("/v1/pupils", json=[pupil], headers=keys["live"]))


@pytest.mark.parametrize(
    "field, value",
    [("given_name", "Ma\x00ya"), ("family_name", "Pa\u202etel"), ("given_name", "Ma\x1bya"), ("area_code", "E01\x07")],
)
def test_control_and_bidi_characters_in_text_are_refused(client, keys, field, value):
    response = client.post("/v1/pupils", json=[pupil_row(**{field: value})], headers=keys["live"])
    assert errors_of(response) == {(0, field)}
    assert "control" in response.json()["errors"][0]["reason"]


def test_a_tab_in_a_name_is_allowed(client, keys):
    assert client.post("/v1/pupils", json=[pupil_row(given_name="Maya\tJane")], headers=keys["live"]).status_code == 503


def test_a_upn_written_with_arabic_indic_digits_is_the_same_child():
    arabic = UPN[0] + "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in UPN[1:])
    assert MarkIn.model_validate(mark_row(upn=arabic)).upn == UPN


def test_overlapping_terms_are_refused(client, keys):
    body = calendar_body(terms=[
        {"name": "autumn", "start": "2025-09-03", "end": "2025-12-19"},
        {"name": "autumn", "start": "2025-11-03", "end": "2025-12-19"},
    ])  # fmt: skip
    assert client.post("/v1/calendars", json=body, headers=keys["live"]).status_code == 422


def test_closures_outside_the_academic_year_are_refused(client, keys):
    response = client.post("/v1/calendars", json=calendar_body(closures=["2027-01-04"]), headers=keys["live"])
    assert response.status_code == 422 and "2027-01-04" in response.text


def test_a_closure_on_a_term_day_is_accepted(client, keys):
    response = client.post("/v1/calendars", json=calendar_body(closures=["2025-11-24"]), headers=keys["live"])
    assert response.status_code == 503  # valid: only the missing broker stops it


def test_school_scope_is_checked_for_calendars(client, keys):
    response = client.post("/v1/calendars", json=calendar_body(school_urn="654321"), headers=keys["live"])
    assert response.status_code == 403
