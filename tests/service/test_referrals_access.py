"""Staff see only their school (LA officers: the borough), and every read is in the audit log."""

from sqlmodel import Session, select

from services.referrals.audit import AuditEntry
from services.referrals.staff import Role
from tests.factories import SCHOOL_A, SCHOOL_B, identity, risk_alert
from tests.service.referrals_support import consume, headers_for


def seed(referrals) -> None:
    _, engine = referrals
    consume(
        engine,
        risk_alert("pa", SCHOOL_A),
        identity("pa", SCHOOL_A),
        risk_alert("pb", SCHOOL_B),
        identity("pb", SCHOOL_B),
    )


def test_without_a_token_nothing_is_shown(referrals):
    client, _ = referrals
    assert client.get("/v1/cases").status_code == 401
    response = client.get("/v1/alerts", headers={"Authorization": "Bearer guess"})
    assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"


def test_school_staff_see_only_their_school(referrals):
    client, _ = referrals
    seed(referrals)
    lead_a = headers_for(referrals, Role.SCHOOL_STAFF, SCHOOL_A)
    assert [case["school_urn"] for case in client.get("/v1/cases", headers=lead_a).json()["items"]] == [SCHOOL_A]
    assert [a["pupil_id"] for a in client.get("/v1/alerts", headers=lead_a).json()["items"]] == ["pa"]
    officer = headers_for(referrals, Role.LA_ATTENDANCE_OFFICER)
    other = next(
        c["id"] for c in client.get("/v1/cases", headers=officer).json()["items"] if c["school_urn"] == SCHOOL_B
    )
    assert client.get(f"/v1/cases/{other}", headers=lead_a).status_code == 404


def test_la_officers_see_the_borough_and_a_case_shows_who_the_child_is(referrals):
    client, _ = referrals
    seed(referrals)
    officer = headers_for(referrals, Role.LA_ATTENDANCE_OFFICER)
    cases = client.get("/v1/cases", headers=officer).json()["items"]
    assert sorted(case["school_urn"] for case in cases) == [SCHOOL_A, SCHOOL_B]
    detail = client.get(f"/v1/cases/{cases[0]['id']}", headers=officer).json()
    assert detail["pupil"]["upn"] == f"UPN-pa-{SCHOOL_A}" and detail["alerts"][0]["rule"] == "persistent_absence"


def test_every_read_is_audited_with_who_and_which_pupil(referrals):
    client, engine = referrals
    seed(referrals)
    lead_a = headers_for(referrals, Role.SCHOOL_STAFF, SCHOOL_A)
    case_id = client.get("/v1/cases", headers=lead_a).json()["items"][0]["id"]
    client.get(f"/v1/cases/{case_id}", headers=lead_a)
    client.get("/v1/alerts", headers=lead_a)
    with Session(engine) as session:
        entries = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.pupil_id, e.pupil_ids) for e in entries] == [
        ("list_cases", None, ["pa"]),
        ("read_case", "pa", []),
        ("list_alerts", None, ["pa"]),
    ]
    assert len({e.staff_id for e in entries}) == 1
