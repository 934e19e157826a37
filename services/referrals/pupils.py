"""What referrals knows of each pupil at each school: who they are (pupil.identity) and their
current figures (pupil.attendance). Keyed by (school, pupil): a child who moves school has a
record at each, and neither school sees the other's."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel

from shared import events
from shared.database import as_utc, rows_with_keys


class PupilIdentity(SQLModel, table=True):
    school_urn: str = Field(primary_key=True)
    pupil_id: str = Field(primary_key=True)
    upn: str
    given_name: str
    family_name: str
    date_of_birth: dt.date


class CurrentFigures(SQLModel):
    """The pupil's year to date now, whatever the figures were when an alert last moved."""

    possible: int
    attended: int
    authorised: int
    unauthorised: int
    attendance_rate: float
    absence_rate: float
    last_date: dt.date | None
    risk_score: int | None


class PupilFigures(CurrentFigures, table=True):
    school_urn: str = Field(primary_key=True)
    pupil_id: str = Field(primary_key=True)
    as_of: dt.datetime = Field(description="occurred_at of the snapshot: an older one never overwrites a newer")


def record_identity(session: Session, identity: events.PupilIdentity) -> None:
    session.merge(PupilIdentity(**identity.model_dump(include=set(PupilIdentity.model_fields))))


def record_figures(session: Session, snapshots: list[events.PupilAttendance]) -> None:
    """Keep each pupil's newest figures: an older snapshot never overwrites a newer one, so a batch
    needs only each pupil's newest and one read of what is stored."""
    newest: dict[tuple[str, str], events.PupilAttendance] = {}
    for snapshot in snapshots:
        key = (snapshot.school_urn, snapshot.pupil_id)
        if key not in newest or snapshot.occurred_at > newest[key].occurred_at:
            newest[key] = snapshot
    columns = (PupilFigures.school_urn, PupilFigures.pupil_id)
    stored = {(row.school_urn, row.pupil_id): row for row in rows_with_keys(session, columns, list(newest))}
    fields = set(PupilFigures.model_fields)
    for key, snapshot in newest.items():
        current = stored.get(key)
        if current is None:
            session.add(PupilFigures(**snapshot.model_dump(include=fields), as_of=snapshot.occurred_at))
        elif as_utc(current.as_of) < snapshot.occurred_at:
            current.sqlmodel_update(snapshot.model_dump(include=fields) | {"as_of": snapshot.occurred_at})


class PupilContextRow(SQLModel, table=True):
    """The pupil's year group, dates and characteristics at the school (characteristics: case pages,
    for roles allowed to see them, and routing)."""

    school_urn: str = Field(primary_key=True)
    pupil_id: str = Field(primary_key=True)
    year_group: int
    admission_date: dt.date
    leaving_date: dt.date | None = None
    characteristics: dict = Field(default_factory=dict, sa_column=Column(JSON))
    area_code: str | None = None


def record_context(session: Session, context: events.PupilContext) -> None:
    session.merge(
        PupilContextRow(
            school_urn=context.school_urn,
            pupil_id=context.pupil_id,
            year_group=context.year_group,
            admission_date=context.admission_date,
            leaving_date=context.leaving_date,
            characteristics=context.characteristics.model_dump(mode="json"),
            area_code=context.area_code,
        )
    )
