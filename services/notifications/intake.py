"""What each consumed event becomes: for events that route somewhere, a delivery per recipient and
channel, due at once, after quiet hours or in the next digest; for context, calendars, case
leads, figures and contacts, what routing and parent messages need. Sending is the dispatcher's
job, so one recipient's failure never holds up another's message.

A consumed batch is taken in one transaction by one Intake, which reads the directory once and
keeps what it has decided in memory: a flush of pending rows before every look-up had cost more
than the look-ups."""

from __future__ import annotations

import datetime as dt
import json

from sqlmodel import Session, select

from services.notifications.directory import Directory
from services.notifications.models import (
    CaseLead,
    Delivery,
    DeliveryStatus,
    OpenAlert,
    ParentContacts,
    PupilYearGroup,
    Recipient,
    SessionsSoFar,
    TimingPreference,
)
from services.notifications.notices import Notice, notice_of_alert, notice_of_casework
from services.notifications.routing import Timing, who_hears
from services.notifications.schedule import QuietHours, next_digest_at, release_at
from services.notifications.settings import Settings
from shared import events, topics
from shared.calendar import SchoolDays
from shared.calendar_store import record_calendar, school_days
from shared.events import ReferralEventKind, Transition, utcnow

HEARD = (DeliveryStatus.SENT, DeliveryStatus.PENDING, DeliveryStatus.WAITING_FOR_DIGEST, DeliveryStatus.IN_DIGEST)


def take_events(session: Session, batch: list[tuple[topics.Topic, events.Event]], settings: Settings) -> None:
    """A consumed batch, in order, in the caller's transaction."""
    intake = Intake(session, settings)
    for topic, event in batch:
        intake.take(topic, event)
    intake.finish()


def take_event(session: Session, topic: topics.Topic, event: events.Event, settings: Settings) -> None:
    """One event, in the caller's transaction."""
    take_events(session, [(topic, event)], settings)


class Intake:
    def __init__(self, session: Session, settings: Settings) -> None:
        self._session, self._settings, self._routes = session, settings, who_hears()
        self._now = utcnow()
        self._directory = Directory.load(session)
        self._days: dict[str | None, SchoolDays] = {}
        self._years: dict[tuple[str, str], int] = {}
        self._leads: dict[int, tuple[str, int]] = {}
        self._logged: set[tuple[str, int]] = set()
        self._flagged: dict[tuple[str, str, str], bool] = {}
        self._made: list[Delivery] = []

    def take(self, topic: topics.Topic, event: events.Event) -> None:
        session = self._session
        if isinstance(event, events.RiskAlert):
            self._flagged[(event.school_urn, event.pupil_id, event.rule)] = event.transition.leaves_open
            self.take_notice(notice_of_alert(event), topic)
        elif isinstance(event, events.ReferralEvent):
            if event.kind is ReferralEventKind.LEAD_ASSIGNED and event.lead_staff_id is not None:
                self._leads[event.case_id] = (event.school_urn, event.lead_staff_id)
            self.take_notice(notice_of_casework(event), topic)
        elif isinstance(event, events.PupilContext):
            self._years[(event.school_urn, event.pupil_id)] = event.year_group
        elif isinstance(event, events.SchoolCalendar):
            record_calendar(session, event)
            self._days.pop(event.school_urn, None)
        elif isinstance(event, events.PupilAttendance):
            session.merge(SessionsSoFar(school_urn=event.school_urn, pupil_id=event.pupil_id,
                                        possible=event.possible, attended=event.attended))  # fmt: skip
        elif isinstance(event, events.PupilContacts):
            session.merge(ParentContacts(school_urn=event.school_urn, pupil_id=event.pupil_id,
                                         opted_out=event.opted_out,
                                         parents=[parent.model_dump() for parent in event.parents]))  # fmt: skip

    def finish(self) -> None:
        """Write what the batch decided that was kept in memory."""
        session = self._session
        for (school_urn, pupil_id), year_group in self._years.items():
            session.merge(PupilYearGroup(school_urn=school_urn, pupil_id=pupil_id, year_group=year_group))
        for case_id, (school_urn, lead) in self._leads.items():
            session.merge(CaseLead(case_id=case_id, school_urn=school_urn, lead_staff_id=lead))
        for (school_urn, pupil_id, rule), still_open in self._flagged.items():
            row = session.get(OpenAlert, (school_urn, pupil_id, rule))
            if still_open and row is None:
                session.add(OpenAlert(school_urn=school_urn, pupil_id=pupil_id, rule=rule))
            elif not still_open and row is not None:
                session.delete(row)

    def take_notice(self, notice: Notice, topic: topics.Topic) -> None:
        """Record the deliveries an event needs. Idempotent: a redelivered event finds its rows."""
        addressees = self._routes.addressees(notice)
        if not addressees:
            return
        with self._session.no_autoflush:
            recipients = self._directory.recipients_for(
                notice, set(addressees), year_group=self._year_of(notice), case_lead=self._lead_of(notice)
            )
            if not recipients:
                return
            self._logged |= {(notice.key, rid) for rid in self._session.exec(
                select(Delivery.recipient_id).where(Delivery.notice_key == notice.key))}  # fmt: skip
            suppressed = self._recently_notified(notice)
        for recipient in recipients:
            if (notice.key, recipient.id) in self._logged:
                continue
            delivery = Delivery(
                notice_key=notice.key, recipient_id=recipient.id, channel=recipient.channel,
                status=DeliveryStatus.PENDING, event_at=notice.occurred_at, school_urn=notice.school_urn,
                pupil_id=notice.pupil_id, rule=notice.rule, source_topic=topic.name,
                payload=json.dumps(notice.to_json()),
            )  # fmt: skip
            timing = _timing_for(recipient, addressees[recipient.role])
            self._schedule(delivery, recipient, timing, suppressed=suppressed)
            self._session.add(delivery)
            self._logged.add((notice.key, recipient.id))
            self._made.append(delivery)

    def _year_of(self, notice: Notice) -> int | None:
        key = (notice.school_urn, notice.pupil_id)
        if key not in self._years:
            row = self._session.get(PupilYearGroup, key)
            if row is None:
                return None
            self._years[key] = row.year_group
        return self._years[key]

    def _lead_of(self, notice: Notice) -> int | None:
        if notice.lead_staff_id is not None or notice.case_id is None:
            return notice.lead_staff_id
        if notice.case_id not in self._leads:
            row = self._session.get(CaseLead, notice.case_id)
            if row is None:
                return None
            self._leads[notice.case_id] = (row.school_urn, row.lead_staff_id)
        school_urn, lead = self._leads[notice.case_id]
        return lead if school_urn == notice.school_urn else None

    def _school_days(self, school_urn: str | None) -> SchoolDays:
        if school_urn not in self._days:
            self._days[school_urn] = school_days(self._session, school_urn) if school_urn else SchoolDays()
        return self._days[school_urn]

    def _schedule(self, delivery: Delivery, recipient: Recipient, timing: Timing, *, suppressed: bool) -> None:
        if suppressed:
            delivery.status = DeliveryStatus.SUPPRESSED
            return
        if timing is Timing.CRITICAL:
            return  # due now, whatever the hour or the calendar
        settings = self._settings
        is_school_day = self._school_days(recipient.school_urn or delivery.school_urn).is_school_day
        if not settings.respect_school_days:
            is_school_day = _every_day
        if timing is Timing.DIGEST:
            delivery.status = DeliveryStatus.WAITING_FOR_DIGEST
            delivery.next_attempt_at = next_digest_at(self._now, settings.digest_time, is_school_day)
        else:
            quiet = QuietHours.parse(recipient.quiet_hours or settings.quiet_hours)
            delivery.next_attempt_at = release_at(self._now, timing, quiet, is_school_day)

    def _recently_notified(self, notice: Notice) -> bool:
        """A new episode of a rule staff heard about for this pupil within the quiet period: a rate
        hovering at a line (raised, resolved, raised again) does not message anyone again."""
        quiet_days = self._settings.quiet_days
        if notice.event != f"alert.{Transition.RAISED}" or notice.episode in (None, 1) or quiet_days == 0:
            return False
        if any(made.school_urn == notice.school_urn and made.pupil_id == notice.pupil_id and made.rule == notice.rule
               and made.status in HEARD for made in self._made):  # fmt: skip
            return True
        since = self._now - dt.timedelta(days=quiet_days)
        last = self._session.exec(
            select(Delivery.id).where(
                Delivery.school_urn == notice.school_urn,
                Delivery.pupil_id == notice.pupil_id,
                Delivery.rule == notice.rule,
                Delivery.notice_key != notice.key,
                Delivery.status.in_(HEARD),
                Delivery.created_at >= since,
            )
        ).first()
        return last is not None


def _timing_for(recipient: Recipient, routed: Timing) -> Timing:
    """A recipient's preference moves anything but critical events between digest and at once."""
    if routed is Timing.CRITICAL or recipient.timing is TimingPreference.AS_ROUTED:
        return routed
    return Timing.DIGEST if recipient.timing is TimingPreference.DIGEST else Timing.IMMEDIATE


def _every_day(_: dt.date) -> bool:
    return True
