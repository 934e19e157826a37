"""Staff see only their school (LA officers: the borough), and every read is in the audit log."""

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from infra.local.readiness import free_port
from services.referrals.app import create_app, open_database
from services.referrals.auth import add_staff
from services.referrals.models import AuditEntry, Role
from services.referrals.service import record_alert, record_identity
from services.referrals.settings import Settings
from shared.events import PupilIdentity, RiskAlert, Transition, alert_id_for
from shared.settings import KafkaSettings


def raised(pupil: str, school: str) -> RiskAlert:
    return RiskAlert(
        alert_id=alert_id_for(pupil, "persistent_absence", 1),
        pupil_id=pupil,
        school_urn=school,
        rule="persistent_absence",
        episode=1,
        transition=Transition.RAISED,
        band="persistent_absence",
        reasons=["absent 5 of 40 possible sessions"],
        figures={"absence_rate": 0.125},
        routes=["pastoral_check_in"],
    )


@pytest.fixture
def referrals(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'referrals.db'}")
    engine = open_database(settings)
    with Session(engine) as session:
        for pupil, school in (("pa", "111111"), ("pb", "222222")):
            record_alert(session, raised(pupil, school))
            record_identity(
                session,
                PupilIdentity(pupil_id=pupil, school_urn=school, upn=f"UPN-{pupil}", given_name="Sam",
                              family_name="Jones", date_of_birth=dt.date(2013, 1, 2)),
            )  # fmt: skip
        session.commit()
    tokens = {
        "lead_a": add_staff(engine, "Lead A", Role.SCHOOL_STAFF, "111111"),
        "officer": add_staff(engine, "LA officer", Role.LA_OFFICER, None),
    }
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}")  # consumer retries; the API still answers
    with TestClient(create_app(settings, kafka)) as client:
        yield client, engine, {name: {"Authorization": f"Bearer {t}"} for name, t in tokens.items()}


def test_without_a_token_nothing_is_shown(referrals):
    client, _, _ = referrals
    assert client.get("/v1/cases").status_code == 401
    assert client.get("/v1/alerts", headers={"Authorization": "Bearer guess"}).status_code == 401


def test_school_staff_see_only_their_school(referrals):
    client, _, headers = referrals
    cases = client.get("/v1/cases", headers=headers["lead_a"]).json()
    assert [case["school_urn"] for case in cases] == ["111111"]
    assert [a["pupil_id"] for a in client.get("/v1/alerts", headers=headers["lead_a"]).json()] == ["pa"]
    other = client.get("/v1/cases", headers=headers["officer"]).json()
    other_school_case = next(case["id"] for case in other if case["school_urn"] == "222222")
    assert client.get(f"/v1/cases/{other_school_case}", headers=headers["lead_a"]).status_code == 404


def test_la_officers_see_the_borough_and_a_case_shows_who_the_child_is(referrals):
    client, _, headers = referrals
    cases = client.get("/v1/cases", headers=headers["officer"]).json()
    assert sorted(case["school_urn"] for case in cases) == ["111111", "222222"]
    detail = client.get(f"/v1/cases/{cases[0]['id']}", headers=headers["officer"]).json()
    assert detail["pupil"]["upn"].startswith("UPN-") and detail["alerts"][0]["rule"] == "persistent_absence"


def test_every_read_is_audited_with_who_and_which_pupil(referrals):
    client, engine, headers = referrals
    case_id = client.get("/v1/cases", headers=headers["lead_a"]).json()[0]["id"]
    client.get(f"/v1/cases/{case_id}", headers=headers["lead_a"])
    client.get("/v1/alerts", headers=headers["lead_a"])
    with Session(engine) as session:
        entries = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.pupil_id) for e in entries] == [
        ("list_cases", None),
        ("read_case", "pa"),
        ("list_alerts", None),
    ]
    assert len({e.staff_id for e in entries}) == 1
