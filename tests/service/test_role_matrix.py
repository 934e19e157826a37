"""Every role against every endpoint of referrals. A new endpoint without a row here fails the suite,
so nobody adds one without deciding who may use it."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from services.referrals.app import create_app, open_database
from services.referrals.casework.models import Provider
from services.referrals.settings import Settings
from services.referrals.staff import Role
from shared.settings import KafkaSettings
from tests.factories import SCHOOL_A, SCHOOL_B, attendance, context, identity, risk_alert
from tests.service.referrals_support import consume, headers_for

PERSONAS = {
    "school_staff": (Role.SCHOOL_STAFF, SCHOOL_A),
    "dsl": (Role.DSL, SCHOOL_A),
    "other_school": (Role.SCHOOL_STAFF, SCHOOL_B),
    "provider": (Role.PROVIDER_STAFF, None),
    "la_attendance": (Role.LA_ATTENDANCE_OFFICER, None),
    "la_cme": (Role.LA_CME_OFFICER, None),
    "operations": (Role.OPERATIONS, None),
}
SCHOOL = {"school_staff", "dsl", "la_attendance", "la_cme"}  # who works school A's cases
LA = {"la_attendance", "la_cme"}
EVERYONE = set(PERSONAS)
# (method, path) -> who may use it. Everyone else gets 403 or 404 (404 where saying more would
# reveal that a record exists).
MATRIX = {
    ("GET", "/v1/me"): EVERYONE,
    ("GET", "/v1/alerts"): SCHOOL | {"other_school"},  # each sees their own schools' alerts
    ("GET", "/v1/cases"): SCHOOL | {"other_school"},
    ("GET", "/v1/cases/{case_id}"): SCHOOL,
    ("PATCH", "/v1/cases/{case_id}"): SCHOOL,
    ("POST", "/v1/cases/{case_id}/notes"): SCHOOL,
    ("POST", "/v1/cases/{case_id}/close"): SCHOOL,
    ("GET", "/v1/cases/{case_id}/proposals"): SCHOOL,
    ("POST", "/v1/cases/{case_id}/referrals"): SCHOOL,
    ("GET", "/v1/referrals/{referral_id}"): SCHOOL | {"provider"},
    ("PATCH", "/v1/referrals/{referral_id}"): SCHOOL | {"provider"},  # provider: decline, start, end
    ("GET", "/v1/provider/referrals"): {"provider"},
    ("GET", "/v1/interventions"): EVERYONE,
    ("GET", "/v1/providers"): EVERYONE,
    ("POST", "/v1/providers"): LA,
    ("PATCH", "/v1/providers/{provider_id}"): LA,
    ("GET", "/v1/kpis"): SCHOOL | {"other_school"},
    ("GET", "/v1/cme-queue"): LA,
    ("GET", "/v1/audit"): LA,
    # Insight: the LA sees the borough; a school role only its own school, suppressed (tested in
    # test_insight_api.py); provider staff and operations see none of it.
    ("GET", "/v1/insight/borough"): SCHOOL | {"other_school"},
    ("GET", "/v1/insight/trends"): SCHOOL | {"other_school"},
    ("GET", "/v1/insight/kpis"): SCHOOL | {"other_school"},
    ("GET", "/v1/insight/impact"): SCHOOL | {"other_school"},
    # Register counts, no pupil: operations and the LA see every school, a school its own.
    ("GET", "/v1/registers/reconciliation"): EVERYONE - {"provider"},
}


def api_routes(app) -> set[tuple[str, str]]:
    """Every endpoint the app serves, from its OpenAPI document."""
    return {(method.upper(), path) for path, operations in app.openapi()["paths"].items() for method in operations}


def test_every_endpoint_has_a_row():
    app = create_app(Settings(database_url="sqlite://", consumer_enabled=False), KafkaSettings())
    assert api_routes(app) == set(MATRIX)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A case and a referral for each persona and endpoint, so no call's change can mask another's answer."""
    settings = Settings(database_url=f"sqlite:///{tmp_path_factory.mktemp('m') / 'r.db'}", consumer_enabled=False)
    engine = open_database(settings)
    with Session(engine) as session:
        provider = Provider(name="Mentors", kind="school", interventions=["mentoring", "pastoral_check_in"],
                            school_urns=[SCHOOL_A], capacity_per_term=100)  # fmt: skip
        session.add(provider)
        session.commit()
        provider_id = provider.id
    for pupil in (f"{persona}-{index}" for persona in PERSONAS for index in range(len(MATRIX))):
        consume(engine, identity(pupil, SCHOOL_A), context(pupil, SCHOOL_A), attendance(pupil, SCHOOL_A),
                risk_alert(pupil, SCHOOL_A, band="chronic_absence"))  # fmt: skip
    with TestClient(create_app(settings, KafkaSettings())) as client:
        referrals = (client, engine)
        headers = {
            name: headers_for(
                referrals, role, school, **({"provider_id": provider_id} if role is Role.PROVIDER_STAFF else {})
            )
            for name, (role, school) in PERSONAS.items()
        }
        la = headers["la_attendance"]
        cases = {c["pupil_id"]: c["id"] for c in client.get("/v1/cases?limit=500", headers=la).json()["items"]}
        referral_ids = {}
        for pupil, case_id in cases.items():
            response = client.post(f"/v1/cases/{case_id}/referrals", json={"intervention": "mentoring"}, headers=la)
            referral_ids[pupil] = response.json()["id"]
        yield client, headers, cases, referral_ids, provider_id


def call(client, headers, method, path, persona, cases, referrals, provider_id):
    pupil = f"{persona}-{sorted(MATRIX).index((method, path))}"
    case_id, referral_id = cases[pupil], referrals[pupil]
    url = path.format(case_id=case_id, referral_id=referral_id, provider_id=provider_id)
    la = headers["la_attendance"]
    body, extra = None, {}
    match (method, path):
        case ("PATCH", "/v1/cases/{case_id}"):
            body = {"plan_summary": f"plan by {persona}"}
            extra = {"If-Match": client.get(f"/v1/cases/{case_id}", headers=la).headers["etag"]}
        case ("POST", "/v1/cases/{case_id}/notes"):
            body = {"text": "a note"}
        case ("POST", "/v1/cases/{case_id}/close"):
            body = {"outcome": "referred_on", "override_reason": "another service leads"}
            extra = {"If-Match": client.get(f"/v1/cases/{case_id}", headers=la).headers["etag"]}
        case ("POST", "/v1/cases/{case_id}/referrals"):
            body = {"intervention": "pastoral_check_in"}
        case ("PATCH", "/v1/referrals/{referral_id}"):
            body = {"action": "decline", "declined_reason": "not now"}
            extra = {"If-Match": client.get(f"/v1/referrals/{referral_id}", headers=la).headers["etag"]}
        case ("POST", "/v1/providers"):
            body = {"name": f"P {persona}", "kind": "la", "interventions": ["mentoring"], "capacity_per_term": 1}
        case ("PATCH", "/v1/providers/{provider_id}"):
            body = {"capacity_per_term": 100}
        case ("GET", "/v1/audit"):
            url += f"?school_urn={SCHOOL_A}&pupil_id={'a' * 32}"
    return client.request(method, url, json=body, headers={**headers[persona], **extra})


@pytest.mark.parametrize("method, path", sorted(MATRIX))
@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_each_role_gets_what_its_row_says(world, method, path, persona):
    client, headers, cases, referrals, provider_id = world
    response = call(client, headers, method, path, persona, cases, referrals, provider_id)
    if persona in MATRIX[(method, path)]:
        assert response.status_code < 400, f"{persona} {method} {path}: {response.status_code} {response.text}"
    else:
        assert response.status_code in (403, 404), f"{persona} {method} {path}: {response.status_code}"
        assert response.headers["content-type"] == "application/problem+json"
