"""Which alert transitions become emails: once each, and not again for a rule that flaps."""

import dataclasses

from sqlmodel import Session, select

from services.notifications.models import Delivery
from services.notifications.service import deliver_alert
from services.notifications.settings import Settings
from shared.database import make_engine
from shared.events import RiskAlert, Transition, alert_id_for


def alert(episode: int, transition: Transition, pupil: str = "p1", band: str = "persistent_absence") -> RiskAlert:
    return RiskAlert(
        alert_id=alert_id_for(pupil, "persistent_absence", episode),
        pupil_id=pupil,
        school_urn="123456",
        rule="persistent_absence",
        episode=episode,
        transition=transition,
        band=band,
        reasons=["absent 5 of 40 possible sessions this year (12.5%)"],
        figures={"absence_rate": 0.125},
    )


@dataclasses.dataclass
class Outbox:
    """The SMTP edge: what would have been sent."""

    messages: list = dataclasses.field(default_factory=list)

    def __call__(self, message, _settings) -> None:
        self.messages.append(message)


def deliver_all(tmp_path, alerts, quiet_days=14):
    engine = make_engine(f"sqlite:///{tmp_path / 'n.db'}", (Delivery,))
    settings, outbox = Settings(quiet_days=quiet_days), Outbox()
    for event in alerts:
        with Session(engine) as session:
            deliver_alert(session, event, settings, outbox)
            session.commit()
    with Session(engine) as session:
        rows = [
            (row.alert_id, row.transition, row.status) for row in session.exec(select(Delivery).order_by(Delivery.id))
        ]
    return outbox.messages, rows


def test_each_transition_is_emailed_once_however_often_it_arrives(tmp_path):
    first = alert(1, Transition.RAISED)
    messages, rows = deliver_all(
        tmp_path, [first, first, alert(1, Transition.ESCALATED, band="chronic_absence"), alert(1, Transition.RESOLVED)]
    )
    assert [m["Subject"] for m in messages] == [
        "Attendance alert: persistent absence (raised)",
        "Attendance alert: persistent absence (escalated)",
    ]
    assert [status for *_, status in rows] == ["sent", "sent"]


def test_an_email_names_no_pupil_and_links_to_referrals(tmp_path):
    [message], _ = deliver_all(tmp_path, [alert(1, Transition.RAISED)])
    body = message.get_content()
    assert "12.5%" in body and "/v1/alerts?rule=persistent_absence" in body and "p1" not in body


def test_a_re_raise_within_the_quiet_period_is_logged_not_emailed(tmp_path):
    events = [
        alert(1, Transition.RAISED),
        alert(1, Transition.RESOLVED),
        alert(2, Transition.RAISED),
        alert(1, Transition.RAISED, pupil="p2"),
    ]
    messages, rows = deliver_all(tmp_path, events)
    assert len(messages) == 2  # p1's first episode and p2's
    assert rows[1] == (alert_id_for("p1", "persistent_absence", 2), "raised", "suppressed")


def test_with_no_quiet_period_every_episode_is_emailed(tmp_path):
    events = [alert(1, Transition.RAISED), alert(1, Transition.RESOLVED), alert(2, Transition.RAISED)]
    messages, _ = deliver_all(tmp_path, events, quiet_days=0)
    assert len(messages) == 2
