"""Who hears about what, and when (issue #13): routing by role through the directory, exactly once
per event, recipient and channel, digests once a day, quiet hours, preferences, and one
recipient's refusal never holding up another's message."""

import datetime as dt

from services.notifications.models import DeliveryStatus
from services.notifications.routing import RecipientRole as R
from shared.events import ReferralEventKind, Transition
from tests.factories import SCHOOL_B, casework_event, context, risk_alert
from tests.notifications_support import notifications_in

LEAD, HOY9, HOY10, CME, LA = (
    "lead@school.example", "hoy9@school.example", "hoy10@school.example", "cme@la.example", "team@la.example"
)  # fmt: skip


def borough(tmp_path, **settings):
    n = notifications_in(tmp_path, **settings)
    n.add("Lead", R.ATTENDANCE_LEAD, address=LEAD)
    n.add("Head of year 9", R.HEAD_OF_YEAR, year_group=9, address=HOY9)
    n.add("Head of year 10", R.HEAD_OF_YEAR, year_group=10, address=HOY10)
    n.add("CME officer", R.CME_OFFICER, school=None, address=CME)
    n.add("LA attendance team", R.LA_ATTENDANCE_OFFICER, school=None, address=LA)
    n.add("Other school's lead", R.ATTENDANCE_LEAD, school=SCHOOL_B, address="lead@other.example")
    return n


def after_digest_time(n, days: int = 1) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=days)


def test_a_severe_alert_goes_at_once_to_the_lead_and_the_la_and_nowhere_else(tmp_path):
    n = borough(tmp_path)
    n.take(context("p1", year_group=9), risk_alert("p1", band="severe_absence"))
    n.dispatch()
    assert sorted(address for _, address in n.channel.sent) == [LEAD, LA]
    [(message, _)] = [sent for sent in n.channel.sent if sent[1] == LEAD]
    assert message.subject == "Attendance alert: Severe absence (50% or more) (raised)"


def test_missing_education_reaches_the_las_cme_officer_at_once(tmp_path):
    n = borough(tmp_path)
    n.take(risk_alert("p1", rule="missing_education", reasons=("absent without authorisation for 10 school days",)))
    n.dispatch()
    assert sorted(address for _, address in n.channel.sent) == [CME, LEAD]


def test_persistent_absence_waits_for_the_digest_of_the_pupils_head_of_year_only(tmp_path):
    n = borough(tmp_path)
    n.take(context("p1", year_group=9), context("p2", year_group=10), context("p3", year_group=9))
    n.take(risk_alert("p1", figures={"risk_score": 40}), risk_alert("p2"), risk_alert("p3", figures={"risk_score": 70}))
    n.dispatch()
    assert n.channel.sent == []  # nothing critical: everything waits for the digest
    n.dispatch(after_digest_time(n))
    [digest] = n.channel.to(HOY9)
    assert digest.subject.startswith("Attendance digest for ") and digest.subject.endswith(": 2 updates")
    assert digest.text.index("risk 70") < digest.text.index("risk 40")  # ranked by risk score
    assert len(n.channel.to(HOY10)) == 1 and "3 updates" in n.channel.to(LEAD)[0].subject
    assert n.channel.to(LA) == [] and n.channel.to("lead@other.example") == []


def test_a_digest_goes_once_however_often_the_dispatcher_looks(tmp_path):
    n = borough(tmp_path)
    n.take(context("p1", year_group=9), risk_alert("p1"))
    later = after_digest_time(n)
    for _ in range(3):
        n.dispatch(later)
    assert len(n.channel.to(HOY9)) == 1 and len(n.channel.to(LEAD)) == 1
    statuses = sorted(d.status for d in n.deliveries())
    assert statuses == ["in_digest", "in_digest", "sent", "sent"]


def test_each_event_is_delivered_once_however_often_it_arrives(tmp_path):
    n = borough(tmp_path)
    severe = risk_alert("p1", band="severe_absence")
    n.take(severe, severe)
    n.dispatch()
    n.take(severe)
    n.dispatch()
    assert len(n.channel.to(LEAD)) == 1 and len(n.channel.to(LA)) == 1
    assert len(n.deliveries()) == 2


def test_de_escalation_and_resolution_tell_no_one(tmp_path):
    n = borough(tmp_path)
    n.take(risk_alert(transition=Transition.DE_ESCALATED), risk_alert(transition=Transition.RESOLVED))
    assert n.deliveries() == []


def test_a_re_raise_within_the_quiet_period_is_logged_not_sent(tmp_path):
    n = borough(tmp_path)
    severe = dict(band="severe_absence")
    n.take(risk_alert("p1", **severe), risk_alert("p1", transition=Transition.RESOLVED, **severe))
    n.take(risk_alert("p1", episode=2, **severe))
    n.dispatch()
    assert len(n.channel.to(LEAD)) == 1
    assert [d.status for d in n.deliveries()][-2:] == ["suppressed", "suppressed"]


def test_with_no_quiet_period_every_episode_is_sent(tmp_path):
    n = borough(tmp_path, quiet_days=0)
    severe = dict(band="severe_absence")
    n.take(risk_alert(**severe), risk_alert(transition=Transition.RESOLVED, **severe), risk_alert(episode=2, **severe))
    n.dispatch()
    assert len(n.channel.to(LEAD)) == 2


def test_a_refused_address_fails_alone_and_is_dead_lettered(tmp_path):
    n = borough(tmp_path)
    n.channel.refuse.add(LEAD)
    n.take(risk_alert("p1", band="severe_absence"), risk_alert("p2", band="severe_absence"))
    n.dispatch()
    assert len(n.channel.to(LA)) == 2 and n.channel.to(LEAD) == []
    assert sorted(d.status for d in n.deliveries()) == ["failed", "failed", "sent", "sent"]
    assert len(n.letters) == 2 and all("550" in letter.reason for letter in n.letters)
    assert all(letter.source_topic == "risk.alerts" for letter in n.letters)


def test_a_transient_failure_is_tried_again_until_it_goes(tmp_path):
    n = borough(tmp_path, max_attempts=5)
    n.channel.fail_first[LEAD] = 2
    n.take(risk_alert("p1", band="severe_absence"))
    for _ in range(3):
        n.dispatch(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
    [delivery] = [d for d in n.deliveries() if d.recipient_id == 1]
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 3 and len(n.channel.to(LEAD)) == 1


def test_quiet_hours_hold_immediate_messages_but_not_critical_ones(tmp_path):
    n = notifications_in(tmp_path, quiet_hours="00:00-23:59")
    n.add("Lead", R.ATTENDANCE_LEAD, address=LEAD)
    n.add("Lead practitioner", R.LEAD_PRACTITIONER, staff_id=7, address="lp@school.example")
    n.take(casework_event(ReferralEventKind.LEAD_ASSIGNED, lead_staff_id=7), risk_alert(band="severe_absence"))
    n.dispatch()
    assert [address for _, address in n.channel.sent] == [LEAD]
    held = [d for d in n.deliveries() if d.status == DeliveryStatus.PENDING]
    assert len(held) == 1 and held[0].next_attempt_at.time() != dt.time(0, 0)


def test_a_recipient_who_wants_everything_at_once_gets_no_digest(tmp_path):
    n = notifications_in(tmp_path)
    n.add("Lead", R.ATTENDANCE_LEAD, address=LEAD, timing="immediate")
    n.take(risk_alert("p1"))
    n.dispatch()
    [message] = n.channel.to(LEAD)
    assert message.subject == "Attendance alert: Persistent absence (10% or more) (raised)"


def test_casework_reaches_the_lead_practitioner_and_the_provider(tmp_path):
    n = notifications_in(tmp_path)
    n.add("Lead practitioner", R.LEAD_PRACTITIONER, staff_id=7, address="lp@school.example")
    n.add("Mentoring charity", R.PROVIDER_CONTACT, provider_id=3, address="intake@charity.example", school=None)
    n.take(casework_event(ReferralEventKind.LEAD_ASSIGNED, case_id=5, lead_staff_id=7))
    n.take(casework_event(ReferralEventKind.INTERVENTION_OFFERED, case_id=5, provider_id=3, intervention="mentoring"))
    n.dispatch()
    [handed] = n.channel.to("lp@school.example")
    assert handed.subject == "Casework: Case handed to you as lead practitioner"
    [offered] = n.channel.to("intake@charity.example")
    assert "Support: mentoring" in offered.text and offered.link.endswith("/cases/5")
    n.take(casework_event(ReferralEventKind.INTERVENTION_DECLINED, case_id=5, declined_reason="family moving away"))
    n.dispatch(after_digest_time(n))
    [digest] = [m for m in n.channel.to("lp@school.example") if m.subject.startswith("Attendance digest")]
    assert "Family declined support" in digest.text and "moving" not in digest.text


def test_a_recipient_who_left_the_directory_is_not_sent_what_was_waiting(tmp_path):
    from sqlmodel import Session

    from services.notifications.directory import remove_recipient

    n = notifications_in(tmp_path)
    lead = n.add("Lead", R.ATTENDANCE_LEAD, address=LEAD)
    n.take(risk_alert("p1"))
    with Session(n.engine) as session:
        remove_recipient(session, lead)
    n.dispatch(after_digest_time(n))
    assert n.channel.sent == []
