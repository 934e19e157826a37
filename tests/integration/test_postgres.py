"""The referrals and notifications databases on PostgreSQL (production's database), where one is reachable."""

import datetime as dt
import uuid

import psycopg
import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from services.notifications.models import Delivery
from services.referrals.app import TABLES
from services.referrals.models import Alert, Case, Outbox
from services.referrals.service import record_alert
from shared.database import make_engine
from shared.events import RiskAlert, Transition, alert_id_for

pytestmark = pytest.mark.integration
SERVER = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def postgres_url():
    try:
        admin = psycopg.connect(SERVER, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL reachable at 127.0.0.1:5432 ({error.__class__.__name__}); SQLite tests still ran")
    name = f"ews_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        admin.close()


def alert(transition: Transition, band: str) -> RiskAlert:
    return RiskAlert(
        alert_id=alert_id_for("p1", "persistent_absence", 1),
        pupil_id="p1",
        school_urn="123456",
        rule="persistent_absence",
        episode=1,
        transition=transition,
        band=band,
        reasons=["absent 5 of 40 possible sessions"],
        figures={"absence_rate": 0.125},
        routes=["pastoral_check_in"],
        occurred_at=dt.datetime(2025, 10, 1, 9, tzinfo=dt.UTC),
    )


def test_referrals_on_postgres_open_one_case_however_often_an_alert_arrives(postgres_url):
    engine = make_engine(postgres_url, TABLES)
    for event in (alert(Transition.RAISED, "persistent_absence"),) * 3 + (
        alert(Transition.ESCALATED, "chronic_absence"),
    ):
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
    engine = make_engine(postgres_url, (Delivery,))
    row = {
        "alert_id": "a1",
        "pupil_id": "p1",
        "rule": "persistent_absence",
        "transition": "raised",
        "recipient": "lead@school.invalid",
        "status": "sent",
    }
    with Session(engine) as session:
        session.add(Delivery(**row))
        session.commit()
    with Session(engine) as session, pytest.raises(IntegrityError):
        session.add(Delivery(**row))
        session.commit()
    engine.dispose()
