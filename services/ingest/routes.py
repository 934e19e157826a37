"""HTTP endpoints of ingest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request

from services.ingest import metrics
from services.ingest.pseudonym import pupil_id_for
from services.ingest.publisher import Publisher
from services.ingest.schemas import Accepted, MarkIn
from services.ingest.settings import Settings
from shared.events import AttendanceMark
from shared.topics import MARKS

router = APIRouter()


def get_publisher(request: Request) -> Publisher:
    return request.app.state.publisher


def get_config(request: Request) -> Settings:
    return request.app.state.settings


PublisherDep = Annotated[Publisher, Depends(get_publisher)]
SettingsDep = Annotated[Settings, Depends(get_config)]


@router.post(
    "/v1/marks",
    status_code=202,
    response_model=Accepted,
    summary="Publish a batch of register marks",
    description=(
        "Accepted (202) only once the broker has acknowledged every mark. A batch with any invalid "
        "row is refused whole (422, listing every bad row); nothing from it is published. "
        "Resending a batch is harmless: a mark is identified by (school, pupil, date, session) and "
        "the latest `recorded_at` wins."
    ),
    responses={422: {"description": "Invalid rows"}, 503: {"description": "Broker unavailable; retry later"}},
)
def post_marks(
    rows: Annotated[list[MarkIn], Body(max_length=5_000)], publisher: PublisherDep, settings: SettingsDep
) -> Accepted:
    key = settings.pseudonym_key.get_secret_value().encode()
    events = [
        (
            MARKS,
            AttendanceMark(
                pupil_id=pupil_id_for(row.upn, key),
                school_urn=row.school_urn,
                date=row.date,
                session=row.session,
                code=row.code,
                minutes_late=row.minutes_late,
                recorded_at=row.recorded_at,
            ),
        )
        for row in rows
    ]
    metrics.BATCH_ROWS.observe(len(events))
    publisher.publish_all(events)
    metrics.MARKS_ACCEPTED.inc(len(events))
    return Accepted(accepted=len(events))
