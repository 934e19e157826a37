"""The referrals and notifications databases on PostgreSQL (production's database), where one is reachable."""

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from services.notifications.app import open_database as open_notifications
from services.notifications.models import Delivery
from services.notifications.settings import Settings as NotificationsSettings
from services.referrals.app import open_database as open_referrals
from services.referrals.casework.alerts import record_alert
from services.referrals.casework.models import Alert, Case
from services.referrals.consumer import handle_event
from services.referrals.settings import Settings as ReferralsSettings
from shared.consuming import is_transient
from shared.events import Transition
from shared.outbox import Outbox
from tests.databases import postgres_database
from tests.factories import identity, risk_alert

pytestmark = pytest.mark.integration


@pytest.fixture
def postgres_url():
    with postgres_database() as url:
        yield url


def test_referrals_on_postgres_open_one_case_however_often_an_alert_arrives(postgres_url):
    engine = open_referrals(ReferralsSettings(database_url=postgres_url))
    for event in (risk_alert(),) * 3 + (risk_alert(transition=Transition.ESCALATED, band="chronic_absence"),):
        with Session(engine) as session:
            record_alert(session, event)
            session.commit()
    with Session(engine) as session:
        [case] = session.exec(select(Case)).all()
        [row] = session.exec(select(Alert)).all()
        outbox = session.exec(select(Outbox)).all()
    assert (row.status, row.band, row.case_id) == ("escalated", "chronic_absence", case.id)
    assert [o.dedupe_key.split(":")[0] for o in outbox] == ["case_opened"]
    engine.dispose()


def test_delivery_log_on_postgres_refuses_a_second_row_for_the_same_message(postgres_url):
    engine = open_notifications(NotificationsSettings(database_url=postgres_url))
    row = {
        "notice_key": "alert:a1:raised",
        "recipient_id": 1,
        "channel": "email",
        "pupil_id": "p1",
        "school_urn": "123456",
        "rule": "persistent_absence",
        "status": "sent",
        "source_topic": "risk.alerts",
        "payload": "{}",
    }
    with Session(engine) as session:
        session.add(Delivery(**row))
        session.commit()
    with Session(engine) as session, pytest.raises(IntegrityError):
        session.add(Delivery(**row))
        session.commit()
    engine.dispose()


def test_a_name_postgres_cannot_store_is_a_failure_to_dead_letter_not_to_retry_forever(postgres_url):
    """NUL in a name (from a producer that skipped ingest's checks) fails on PostgreSQL every time:
    the consumer loop must see it as not transient, so it is dead-lettered after a few tries."""
    engine = open_referrals(ReferralsSettings(database_url=postgres_url))
    with pytest.raises(Exception) as raised, Session(engine) as session:
        handle_event(session, identity(given_name="Ma\x00ya"))
        session.commit()
    assert not is_transient(raised.value)
    engine.dispose()
