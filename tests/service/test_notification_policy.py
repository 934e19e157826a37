"""Which alert transitions become deliveries: once each, not again for a rule that flaps, and one
recipient's refusal never holds up another's message."""

import smtplib

from sqlmodel import Session, select

from services.notifications.app import open_database
from services.notifications.dispatch import Dispatcher
from services.notifications.intake import take_alert
from services.notifications.models import Delivery
from services.notifications.settings import Settings
from shared.events import Transition
from tests.factories import SCHOOL_A, SCHOOL_B, risk_alert


class Relay:
    """The SMTP edge: what would have been sent; addresses it refuses with 550."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.messages, self.refuse = [], refuse

    def __call__(self, message) -> None:
        if message["To"] in self.refuse:
            raise smtplib.SMTPRecipientsRefused({message["To"]: (550, b"no such mailbox")})
        self.messages.append(message)


def deliver_all(tmp_path, alerts, quiet_days=14, relay=None):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'n.db'}", quiet_days=quiet_days, retry_backoff_s=0.001)
    engine, relay, letters = open_database(settings), relay or Relay(), []
    for event in alerts:
        with Session(engine) as session:
            take_alert(session, event, settings)
            session.commit()
    dispatcher = Dispatcher(engine, settings, relay, letters.append)
    while dispatcher.dispatch_due():
        pass
    with Session(engine) as session:
        rows = [
            (row.alert_id, row.transition, row.status) for row in session.exec(select(Delivery).order_by(Delivery.id))
        ]
    return relay.messages, rows, letters


def test_each_transition_is_sent_once_however_often_it_arrives(tmp_path):
    first = risk_alert()
    messages, rows, _ = deliver_all(
        tmp_path,
        [
            first,
            first,
            risk_alert(transition=Transition.ESCALATED, band="chronic_absence"),
            risk_alert(transition=Transition.DE_ESCALATED, band="persistent_absence"),
            risk_alert(transition=Transition.RESOLVED),
        ],
    )
    assert [m["Subject"] for m in messages] == [
        "Attendance alert, raised: Persistent absence (10% or more)",
        "Attendance alert, escalated: Chronic absence (20% or more)",
    ]
    assert [status for *_, status in rows] == ["sent", "sent"]


def test_a_message_names_no_pupil_and_links_to_referrals(tmp_path):
    [message], _, _ = deliver_all(tmp_path, [risk_alert("p1")])
    body = message.get_content()
    link = f"http://127.0.0.1:8002/alerts/{risk_alert('p1').alert_id}"
    assert "12.5%" in body and link in body and "p1" not in body


def test_a_re_raise_within_the_quiet_period_is_logged_not_sent(tmp_path):
    events = [
        risk_alert("p1"),
        risk_alert("p1", transition=Transition.RESOLVED),
        risk_alert("p1", episode=2),
        risk_alert("p2"),
    ]
    messages, rows, _ = deliver_all(tmp_path, events)
    assert len(messages) == 2  # p1's first episode and p2's
    assert rows[1] == (risk_alert("p1", episode=2).alert_id, "raised", "suppressed")


def test_with_no_quiet_period_every_episode_is_sent(tmp_path):
    events = [risk_alert(), risk_alert(transition=Transition.RESOLVED), risk_alert(episode=2)]
    messages, _, _ = deliver_all(tmp_path, events, quiet_days=0)
    assert len(messages) == 2


def test_an_address_refused_for_good_fails_alone_and_is_dead_lettered(tmp_path):
    refusing = f"attendance-lead-{SCHOOL_A}@schools.invalid"
    events = [risk_alert("p1", SCHOOL_A), risk_alert("p2", SCHOOL_B), risk_alert("p3", SCHOOL_B)]
    messages, rows, letters = deliver_all(tmp_path, events, relay=Relay(refuse=(refusing,)))
    assert [m["To"] for m in messages] == [f"attendance-lead-{SCHOOL_B}@schools.invalid"] * 2
    assert [status for *_, status in rows] == ["failed", "sent", "sent"]
    [letter] = letters
    assert "550" in letter.reason and letter.source_topic == "risk.alerts" and '"pupil_id":"p1"' in letter.payload
