"""What referrals does with each consumed event; the consumer loop commits after each call."""

from __future__ import annotations

from sqlmodel import Session

from services.referrals.casework.alerts import record_alert
from services.referrals.casework.cases import close_for_leaver
from services.referrals.insight.store import (
    record_activity,
    record_activity_attendance,
    record_parent_round_entry,
    record_weeks,
    recount_half_terms,
)
from services.referrals.pupils import record_context, record_figures, record_identity
from services.referrals.registers import record_marks
from shared import events
from shared.calendar_store import record_calendar


def handle_event(session: Session, event: events.Event) -> None:
    match event:
        case events.RiskAlert():
            record_alert(session, event)
        case events.PupilIdentity():
            record_identity(session, event)
        case events.PupilAttendance():
            record_figures(session, [event])
        case events.PupilContext():
            record_context(session, event)
            if event.leaving_date is not None:
                close_for_leaver(session, event.school_urn, event.pupil_id, event.leaving_date)
        case events.SchoolCalendar():
            record_calendar(session, event)
            recount_half_terms(session, event.school_urn)
        case events.AttendanceMark():
            record_register(session, [event])
        case events.Activity():
            record_activity(session, event)
        case events.ActivityAttendance():
            record_activity_attendance(session, [event])
        case events.ParentRoundEntry():
            record_parent_round_entry(session, event)


def record_register(session: Session, marks: list[events.AttendanceMark]) -> None:
    """The pupils' sessions, and the weekly counts their changes move."""
    record_weeks(session, record_marks(session, marks))


# Kept per pupil whatever the order they are applied in, so a batch applies each kind together.
TOGETHER = {
    events.AttendanceMark: record_register,
    events.PupilAttendance: record_figures,
    events.ActivityAttendance: record_activity_attendance,
}


def handle_events(session: Session, batch: list[events.Event]) -> None:
    """A consumed batch in one transaction: marks together and figures together (one read for the
    batch, one write per session or pupil), the rest in order."""
    for kind, record in TOGETHER.items():
        record(session, [event for event in batch if type(event) is kind])
    for event in batch:
        if type(event) not in TOGETHER:
            handle_event(session, event)
