"""What reconciliation reads from referrals' store: pupils on roll (pupil.context), the schools' calendars
(school.calendar) and the registers (attendance.marks)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_
from sqlmodel import Session, select

from services.referrals.pupils import PupilContextRow
from services.referrals.reconciliation.gaps import Reconciliation, RegisterDeadlines, reconcile
from services.referrals.registers import RegisterSession
from shared.calendar_store import school_days_of
from shared.events import utcnow
from shared.time import school_now


def _on_roll_that_day(day: dt.date):
    """Admitted by the day and not left before it."""
    return (PupilContextRow.admission_date <= day) & or_(
        PupilContextRow.leaving_date.is_(None), PupilContextRow.leaving_date >= day
    )


def _on_roll(session: Session, day: dt.date, schools: frozenset[str] | None) -> dict[str, int]:
    query = (
        select(PupilContextRow.school_urn, func.count())
        .where(_on_roll_that_day(day))
        .group_by(PupilContextRow.school_urn)
    )
    if schools is not None:
        query = query.where(PupilContextRow.school_urn.in_(schools))
    counts = dict(session.exec(query).all())
    open_days = school_days_of(session, set(counts))
    return {school: count for school, count in counts.items() if open_days[school].is_school_day(day)}


def _marked(session: Session, day: dt.date, schools: frozenset[str] | None) -> dict[tuple[str, str], int]:
    """Pupils on roll with a mark for each session (a mark for a pupil not on roll does not fill a gap)."""
    query = (
        select(RegisterSession.school_urn, RegisterSession.session, func.count())
        .join(
            PupilContextRow,
            (PupilContextRow.school_urn == RegisterSession.school_urn)
            & (PupilContextRow.pupil_id == RegisterSession.pupil_id),
        )
        .where(RegisterSession.date == day)
        .where(_on_roll_that_day(day))
        .group_by(RegisterSession.school_urn, RegisterSession.session)
    )
    if schools is not None:
        query = query.where(RegisterSession.school_urn.in_(schools))
    return {(school, half): count for school, half, count in session.exec(query).all()}


def reconciliation_of(
    session: Session,
    day: dt.date,
    *,
    now: dt.datetime,
    deadlines: RegisterDeadlines,
    schools: frozenset[str] | None = None,
) -> Reconciliation:
    """The day's reconciliation for `schools` (None: every school); `now` in school time."""
    return reconcile(day, _on_roll(session, day, schools), _marked(session, day, schools), now=now, deadlines=deadlines)


def reconciliation_as_of_now(
    session: Session, deadlines: RegisterDeadlines, day: dt.date | None = None, schools: frozenset[str] | None = None
) -> Reconciliation:
    """`day` (default today) reconciled against the school clock now: what the API, the CLI and the
    metrics all report."""
    now = school_now(utcnow())
    return reconciliation_of(session, day or now.date(), now=now, deadlines=deadlines, schools=schools)
