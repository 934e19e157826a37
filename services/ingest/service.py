"""What ingest does with valid input: pseudonymise, build events, publish, count."""

from __future__ import annotations

from collections.abc import Sequence

from services.ingest import metrics
from services.ingest.keys import ConnectorKey
from services.ingest.pseudonym import pupil_id_for
from services.ingest.publisher import Publisher
from services.ingest.schemas import ActivityAttendanceIn, ActivityIn, CalendarIn, ContactsIn, MarkIn, PupilIn
from services.ingest.security import require_schools
from shared import events, topics


def accept_marks(rows: Sequence[MarkIn], connector: ConnectorKey, key: bytes, publisher: Publisher) -> int:
    require_schools(connector, (row.school_urn for row in rows))
    items = [
        (
            topics.MARKS,
            events.AttendanceMark(
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
    metrics.BATCH_ROWS.observe(len(items))
    publisher.publish_all(items)
    metrics.MARKS_ACCEPTED.inc(len(items))
    return len(items)


def accept_pupils(rows: Sequence[PupilIn], connector: ConnectorKey, key: bytes, publisher: Publisher) -> int:
    """Context (pseudonymous) for the risk engine; identity only on its own topic, for referrals."""
    require_schools(connector, (row.school_urn for row in rows))
    items: list[tuple[topics.Topic, events.Event]] = []
    for row in rows:
        pupil_id = pupil_id_for(row.upn, key)
        items.append(
            (
                topics.PUPIL_CONTEXT,
                events.PupilContext(
                    pupil_id=pupil_id,
                    school_urn=row.school_urn,
                    year_group=row.year_group,
                    admission_date=row.admission_date,
                    leaving_date=row.leaving_date,
                    characteristics=events.Characteristics(**row.characteristics.model_dump()),
                    area_code=row.area_code,
                ),
            )
        )
        items.append(
            (
                topics.PUPIL_IDENTITY,
                events.PupilIdentity(
                    pupil_id=pupil_id,
                    school_urn=row.school_urn,
                    upn=row.upn,
                    given_name=row.given_name,
                    family_name=row.family_name,
                    date_of_birth=row.date_of_birth,
                ),
            )
        )
    publisher.publish_all(items)
    metrics.PUPILS_ACCEPTED.inc(len(rows))
    return len(rows)


def accept_contacts(rows: Sequence[ContactsIn], connector: ConnectorKey, key: bytes, publisher: Publisher) -> int:
    """Parents' contact details, only on the contacts topic, for notifications."""
    require_schools(connector, (row.school_urn for row in rows))
    publisher.publish_all(
        [
            (
                topics.CONTACTS,
                events.PupilContacts(
                    pupil_id=pupil_id_for(row.upn, key),
                    school_urn=row.school_urn,
                    parents=[events.ParentContact(**parent.model_dump()) for parent in row.parents],
                    opted_out=row.opted_out,
                ),
            )
            for row in rows
        ]
    )
    return len(rows)


def accept_calendar(calendar: CalendarIn, connector: ConnectorKey, publisher: Publisher) -> int:
    require_schools(connector, [calendar.school_urn])
    event = events.SchoolCalendar(
        school_urn=calendar.school_urn,
        academic_year=calendar.academic_year,
        terms=[events.Term(**term.model_dump()) for term in calendar.terms],
        closures=calendar.closures,
    )
    publisher.publish_all([(topics.SCHOOL_CALENDAR, event)])
    return 1


def accept_activities(rows: Sequence[ActivityIn], connector: ConnectorKey, publisher: Publisher) -> int:
    """Activities carry no pupil; one a school runs needs a key for that school, a borough-wide one any key."""
    require_schools(connector, (row.school_urn for row in rows if row.school_urn is not None))
    publisher.publish_all([(topics.ACTIVITIES, events.Activity(**row.model_dump())) for row in rows])
    return len(rows)


def accept_activity_attendance(
    rows: Sequence[ActivityAttendanceIn], connector: ConnectorKey, key: bytes, publisher: Publisher
) -> int:
    """Who came to an activity's session, pseudonymised like marks."""
    require_schools(connector, (row.school_urn for row in rows))
    publisher.publish_all(
        [
            (
                topics.ACTIVITY_ATTENDANCE,
                events.ActivityAttendance(
                    activity_id=row.activity_id,
                    pupil_id=pupil_id_for(row.upn, key),
                    school_urn=row.school_urn,
                    date=row.date,
                    attended=row.attended,
                    recorded_at=row.recorded_at,
                ),
            )
            for row in rows
        ]
    )
    metrics.ACTIVITY_ATTENDANCE_ACCEPTED.inc(len(rows))
    return len(rows)
