"""The routing file loads against its schema and says what the issue asks (#13); when messages may
go (quiet hours, holidays, digests); and how a digest orders what it lists."""

import datetime as dt

import pytest
from pydantic import ValidationError

from services.notifications.messages import digest_groups, event_message
from services.notifications.notices import notice_of_alert, notice_of_casework
from services.notifications.routing import ROUTES_PATH, RecipientRole, Timing, WhoHears, load_routes
from services.notifications.schedule import QuietHours, next_digest_at, release_at
from shared.events import ReferralEventKind, RiskAlert, Transition
from shared.time import SCHOOL_TIMEZONE
from tests.factories import casework_event, risk_alert

ROUTES = load_routes(ROUTES_PATH)
R, T = RecipientRole, Timing


def heard(alert_or_event) -> dict:
    make = notice_of_alert if isinstance(alert_or_event, RiskAlert) else notice_of_casework
    return ROUTES.addressees(make(alert_or_event))


def test_the_routing_file_says_who_hears_what():
    assert heard(risk_alert()) == {R.HEAD_OF_YEAR: T.DIGEST, R.ATTENDANCE_LEAD: T.DIGEST}
    assert heard(risk_alert(band="severe_absence")) == {
        R.ATTENDANCE_LEAD: T.CRITICAL,
        R.LA_ATTENDANCE_OFFICER: T.CRITICAL,
    }
    assert heard(risk_alert(rule="missing_education")) == {R.ATTENDANCE_LEAD: T.CRITICAL, R.CME_OFFICER: T.CRITICAL}
    assert heard(risk_alert(rule="strong_attendance_decline"))[R.HEAD_OF_YEAR] is T.DIGEST
    assert heard(risk_alert(transition=Transition.RESOLVED)) == {}
    assert heard(casework_event(ReferralEventKind.LEAD_ASSIGNED, lead_staff_id=1)) == {R.LEAD_PRACTITIONER: T.IMMEDIATE}
    assert heard(casework_event(ReferralEventKind.INTERVENTION_OFFERED)) == {R.PROVIDER_CONTACT: T.IMMEDIATE}


def test_a_route_naming_an_unknown_event_or_role_is_refused():
    route = {"name": "x", "events": ["alert.raised"], "to": ["attendance_lead"], "timing": "digest"}
    WhoHears.model_validate({"version": "1", "routes": [route]})
    for broken in ({"events": ["alert.exploded"]}, {"to": ["headteacher"]}, {"timing": "weekly"}, {"typo": 1}):
        with pytest.raises(ValidationError):
            WhoHears.model_validate({"version": "1", "routes": [{**route, **broken}]})


def london(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=SCHOOL_TIMEZONE)


def weekdays(day: dt.date) -> bool:
    return day.weekday() < 5


EVENING = QuietHours.parse("18:00-07:30")


def test_quiet_hours_cross_midnight_and_hold_all_but_critical_messages():
    assert EVENING.contains(dt.time(23, 0)) and EVENING.contains(dt.time(7, 0)) and not EVENING.contains(dt.time(9))
    tuesday_night = london(1, 21)
    assert release_at(tuesday_night, T.IMMEDIATE, EVENING, weekdays) == london(2, 7, 30)
    assert release_at(tuesday_night, T.CRITICAL, EVENING, weekdays) == tuesday_night
    assert release_at(london(2, 10), T.IMMEDIATE, EVENING, weekdays) == london(2, 10)
    friday_night = london(4, 19)
    assert release_at(friday_night, T.IMMEDIATE, EVENING, weekdays) == london(7, 7, 30)  # Monday
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        QuietHours.parse("evenings")


def test_a_digest_goes_at_its_time_on_the_next_school_day():
    four = dt.time(16, 0)
    assert next_digest_at(london(2, 9), four, weekdays) == london(2, 16)
    assert next_digest_at(london(2, 17), four, weekdays) == london(3, 16)
    assert next_digest_at(london(5, 12), four, weekdays) == london(7, 16)  # Saturday: Monday's
    holiday = {dt.date(2026, 12, 7)}
    assert next_digest_at(london(5, 12), four, lambda d: weekdays(d) and d not in holiday) == london(8, 16)


def test_a_digest_groups_alerts_by_what_they_are_riskiest_first_and_casework_last():
    notices = [
        notice_of_alert(risk_alert("p1", figures={"risk_score": 30})),
        notice_of_casework(casework_event(ReferralEventKind.INTERVENTION_STARTED, intervention="mentoring")),
        notice_of_alert(risk_alert("p2", rule="missing_education")),
        notice_of_alert(risk_alert("p3", figures={"risk_score": 80})),
    ]
    groups = digest_groups(notices)
    assert [group.heading for group in groups] == ["Persistent absence (10% or more)", "May be missing education",
                                                   "Casework"]  # fmt: skip
    assert [n.pupil_id for n in groups[0].notices] == ["p3", "p1"]


def test_a_message_names_no_pupil_and_links_to_the_alert_page():
    alert = risk_alert("p1")
    message = event_message(notice_of_alert(alert), reference="delivery-1", pages_url="https://ews.example/")
    assert message.link == f"https://ews.example/alerts/{alert.alert_id}"
    for text in (message.text, message.html, message.short_text, str(message.card)):
        assert "p1" not in text.replace(message.link, "")
    assert "12.5%" in message.text and "<li" in message.html and message.card["type"] == "AdaptiveCard"
