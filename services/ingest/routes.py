"""HTTP endpoints of ingest. Every one answers 202 only after the broker acknowledged.

Bodies are read after the connector's key is checked (see bodies.py), so a request without a
valid key is 401 whatever its body holds.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import Field, TypeAdapter
from starlette.concurrency import run_in_threadpool

from services.ingest import csv_rows, service
from services.ingest.bodies import csv_request_body, json_request_body, request_clock, validate_json, validate_rows
from services.ingest.publisher import Publisher
from services.ingest.schemas import (
    MAX_ROWS,
    Accepted,
    ActivityAttendanceIn,
    ActivityIn,
    CalendarIn,
    Clock,
    ContactsIn,
    MarkIn,
    PupilIn,
)
from services.ingest.security import ConnectorDep
from services.ingest.settings import Settings

router = APIRouter(prefix="/v1")
T = TypeVar("T")
MARK_ROWS = TypeAdapter(Annotated[list[MarkIn], Field(max_length=MAX_ROWS)])
PUPIL_ROWS = TypeAdapter(Annotated[list[PupilIn], Field(max_length=MAX_ROWS)])
CALENDAR = TypeAdapter(CalendarIn)
CONTACT_ROWS = TypeAdapter(Annotated[list[ContactsIn], Field(max_length=MAX_ROWS)])
ACTIVITY_ROWS = TypeAdapter(Annotated[list[ActivityIn], Field(max_length=MAX_ROWS)])
ACTIVITY_ATTENDANCE_ROWS = TypeAdapter(Annotated[list[ActivityAttendanceIn], Field(max_length=MAX_ROWS)])


def get_publisher(request: Request) -> Publisher:
    return request.app.state.publisher


def get_key(request: Request) -> bytes:
    settings: Settings = request.app.state.settings
    return settings.pseudonym_key.get_secret_value().encode()


PublisherDep = Annotated[Publisher, Depends(get_publisher)]
KeyDep = Annotated[bytes, Depends(get_key)]
ClockDep = Annotated[Clock, Depends(request_clock)]
ERRORS = {
    401: {"description": "Missing, unknown or revoked API key"},
    403: {"description": "The key is not allowed to publish for a school in the request"},
    413: {"description": "Body over the size limit"},
    422: {"description": "Invalid rows: every bad row listed with index, field, value and reason"},
    429: {"description": "Too many requests for this key; see Retry-After"},
    503: {"description": "The broker did not acknowledge; resend the whole request after Retry-After"},
}
ALL_OR_NOTHING = (
    " A request with any invalid row is refused whole (422 listing every bad row) and nothing from it is"
    " published: fix the rows and resend. Resending is always harmless."
)


@router.post(
    "/marks",
    status_code=202,
    response_model=Accepted,
    summary="Publish a batch of register marks (JSON)",
    description="Up to 5,000 marks. A mark is identified by (school, pupil, date, session); the latest "
    "`recorded_at` wins, so corrections may arrive in any order." + ALL_OR_NOTHING,
    responses=ERRORS,
    openapi_extra=json_request_body(MARK_ROWS, MarkIn.model_config["json_schema_extra"]["examples"][0:1]),
)
async def post_marks(
    request: Request, connector: ConnectorDep, key: KeyDep, publisher: PublisherDep, clock: ClockDep
) -> Accepted:
    rows = validate_json(MARK_ROWS, await request.body(), clock)
    return Accepted(accepted=await run_in_threadpool(service.accept_marks, rows, connector, key, publisher))


@router.post(
    "/marks/csv",
    status_code=202,
    response_model=Accepted,
    summary="Publish a batch of register marks (CSV export)",
    description="The same rows as POST /v1/marks as CSV: a header row naming the columns, UTF-8 (a BOM is "
    "fine), up to 5,000 rows; `minutes_late` may be empty. In errors, `index` is the 0-based data row "
    "(file line = index + 2)." + ALL_OR_NOTHING,
    responses=ERRORS,
    openapi_extra=csv_request_body(
        "school_urn,upn,date,session,code,minutes_late,recorded_at\n"
        "123456,X823401225001,2025-09-08,AM,L,12,2025-09-08T09:05:00Z\n"
    ),
)
async def post_marks_csv(
    request: Request, connector: ConnectorDep, key: KeyDep, publisher: PublisherDep, clock: ClockDep
) -> Accepted:
    marks = await csv_body(request, csv_rows.MARKS, MARK_ROWS, clock)
    return Accepted(accepted=await run_in_threadpool(service.accept_marks, marks, connector, key, publisher))


@router.post(
    "/pupils",
    status_code=202,
    response_model=Accepted,
    summary="Publish pupil context and identity",
    description="Identity (UPN, names, date of birth) goes only to the identity topic that referrals reads; "
    "the risk engine receives the pseudonymous context (school, year group, dates, characteristics, "
    "area)." + ALL_OR_NOTHING,
    responses=ERRORS,
    openapi_extra=json_request_body(PUPIL_ROWS, PupilIn.model_config["json_schema_extra"]["examples"][0:1]),
)
async def post_pupils(
    request: Request, connector: ConnectorDep, key: KeyDep, publisher: PublisherDep, clock: ClockDep
) -> Accepted:
    rows = validate_json(PUPIL_ROWS, await request.body(), clock)
    return Accepted(accepted=await run_in_threadpool(service.accept_pupils, rows, connector, key, publisher))


@router.post(
    "/contacts",
    status_code=202,
    response_model=Accepted,
    summary="Publish how to reach pupils' parents about attendance",
    description="Email addresses and UK mobile numbers of up to four parents or carers a pupil, and whether "
    "the family opted out; a later row for the same pupil replaces the earlier one. They go only to the "
    "contacts topic, which only notifications reads." + ALL_OR_NOTHING,
    responses=ERRORS,
    openapi_extra=json_request_body(CONTACT_ROWS, ContactsIn.model_config["json_schema_extra"]["examples"][0:1]),
)
async def post_contacts(
    request: Request, connector: ConnectorDep, key: KeyDep, publisher: PublisherDep, clock: ClockDep
) -> Accepted:
    rows = validate_json(CONTACT_ROWS, await request.body(), clock)
    return Accepted(accepted=await run_in_threadpool(service.accept_contacts, rows, connector, key, publisher))


@router.post(
    "/calendars",
    status_code=202,
    response_model=Accepted,
    summary="Publish a school's academic year",
    description="Terms with half-terms, and closures (INSET days, bank holidays). A later calendar for "
    "the same school and year replaces the earlier one.",
    responses=ERRORS,
    openapi_extra=json_request_body(CALENDAR, CalendarIn.model_config["json_schema_extra"]["examples"][0]),
)
async def post_calendar(
    request: Request, connector: ConnectorDep, publisher: PublisherDep, clock: ClockDep
) -> Accepted:
    calendar = validate_json(CALENDAR, await request.body(), clock)
    return Accepted(accepted=await run_in_threadpool(service.accept_calendar, calendar, connector, publisher))


@router.post(
    "/activities",
    status_code=202,
    response_model=Accepted,
    summary="Publish enrichment and out-of-school activities (JSON)",
    description="Cultural workshops, trips, clubs, holiday activities: no pupil in them. One a school runs "
    "needs a key for that school; a borough-wide one (no `school_urn`) any key. A later row with the same "
    "`activity_id` replaces the earlier one." + ALL_OR_NOTHING,
    responses=ERRORS,
    openapi_extra=json_request_body(ACTIVITY_ROWS, ActivityIn.model_config["json_schema_extra"]["examples"][0:1]),
)
async def post_activities(
    request: Request, connector: ConnectorDep, publisher: PublisherDep, clock: ClockDep
) -> Accepted:
    rows = validate_json(ACTIVITY_ROWS, await request.body(), clock)
    return Accepted(accepted=await run_in_threadpool(service.accept_activities, rows, connector, publisher))


@router.post(
    "/activities/csv",
    status_code=202,
    response_model=Accepted,
    summary="Publish activities (CSV)",
    description="The rows of POST /v1/activities as CSV with a header row; `provider_id`, `school_urn` and "
    "`area_code` may be empty. In errors, `index` is the 0-based data row (file line = index + 2)." + ALL_OR_NOTHING,
    responses=ERRORS,
    openapi_extra=csv_request_body(
        "activity_id,name,kind,provider_id,school_urn,area_code\n"
        "ART-2026-01,Saturday art workshop,cultural_workshop,,123456,E01012004\n"
    ),
)
async def post_activities_csv(
    request: Request, connector: ConnectorDep, publisher: PublisherDep, clock: ClockDep
) -> Accepted:
    rows = await csv_body(request, csv_rows.ACTIVITIES, ACTIVITY_ROWS, clock)
    return Accepted(accepted=await run_in_threadpool(service.accept_activities, rows, connector, publisher))


@router.post(
    "/activities/attendance",
    status_code=202,
    response_model=Accepted,
    summary="Publish who came to an activity's sessions (JSON)",
    description="One row per pupil per session: `attended` true or false. Identified by (activity, school, "
    "pupil, date); the latest `recorded_at` wins, so corrections may arrive in any order. Pupils are "
    "pseudonymised like marks." + ALL_OR_NOTHING,
    responses=ERRORS,
    openapi_extra=json_request_body(
        ACTIVITY_ATTENDANCE_ROWS, ActivityAttendanceIn.model_config["json_schema_extra"]["examples"][0:1]
    ),
)
async def post_activity_attendance(
    request: Request, connector: ConnectorDep, key: KeyDep, publisher: PublisherDep, clock: ClockDep
) -> Accepted:
    rows = validate_json(ACTIVITY_ATTENDANCE_ROWS, await request.body(), clock)
    accepted = await run_in_threadpool(service.accept_activity_attendance, rows, connector, key, publisher)
    return Accepted(accepted=accepted)


@router.post(
    "/activities/attendance/csv",
    status_code=202,
    response_model=Accepted,
    summary="Publish who came to an activity's sessions (CSV)",
    description="The rows of POST /v1/activities/attendance as CSV with a header row; `attended` is true or "
    "false. In errors, `index` is the 0-based data row (file line = index + 2)." + ALL_OR_NOTHING,
    responses=ERRORS,
    openapi_extra=csv_request_body(
        "activity_id,school_urn,upn,date,attended,recorded_at\n"
        "ART-2026-01,123456,X823401225001,2025-10-04,true,2025-10-04T12:30:00Z\n"
    ),
)
async def post_activity_attendance_csv(
    request: Request, connector: ConnectorDep, key: KeyDep, publisher: PublisherDep, clock: ClockDep
) -> Accepted:
    rows = await csv_body(request, csv_rows.ACTIVITY_ATTENDANCE, ACTIVITY_ATTENDANCE_ROWS, clock)
    accepted = await run_in_threadpool(service.accept_activity_attendance, rows, connector, key, publisher)
    return Accepted(accepted=accepted)


async def csv_body(request: Request, layout: csv_rows.CsvLayout, adapter: TypeAdapter[T], clock: Clock) -> T:
    """A CSV body's rows, validated like the same rows sent as JSON."""
    rows = csv_rows.rows_from_csv(await request.body(), layout)
    if len(rows) > MAX_ROWS:
        raise RequestValidationError([_too_many(len(rows))])
    return validate_rows(adapter, rows, clock)


def _too_many(count: int) -> dict:
    return {
        "type": "too_long",
        "loc": (),
        "msg": f"at most {MAX_ROWS} rows per request, got {count}",
        "input": None,
    }
