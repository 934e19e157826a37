"""Signing in to the staff pages: through a local OpenID Connect provider the test starts (the whole
authorisation code flow with PKCE, state and nonce), with one-time links, and what a session allows:
httpOnly SameSite cookies, CSRF on every form, sign-out, idle expiry."""

import datetime as dt

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from services.referrals.app import create_app, open_database
from services.referrals.casework.models import Case
from services.referrals.settings import Settings
from services.referrals.staff import Role, add_staff, revoke_staff
from services.referrals.web.sessions import StaffSession, sign_in_url
from shared.settings import KafkaSettings
from tests.factories import SCHOOL_A, SCHOOL_B, risk_alert
from tests.service.referrals_support import consume
from tests.web_support import OidcProvider, serving

EMAIL = "sam.lead@school-a.example"


@pytest.fixture
def pages(tmp_path):
    """Referrals served on loopback, with a local identity provider; yields (url, engine, settings)."""
    provider = OidcProvider(EMAIL)
    with provider.running() as issuer:
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'r.db'}",
            consumer_enabled=False,
            cookie_secure=False,
            oidc_issuer=issuer,
            oidc_client_id=provider.client_id,
            oidc_client_secret="test-secret",
        )
        engine = open_database(settings)
        add_staff(engine, "Sam Lead", Role.SCHOOL_STAFF, SCHOOL_A, email=EMAIL)
        consume(engine, risk_alert("p1", SCHOOL_A))
        app = create_app(settings, KafkaSettings())
        with serving(app) as url:
            settings.public_url = url
            yield url, engine, provider


def test_signing_in_through_the_schools_identity_provider(pages):
    url, _, _ = pages
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        page = browser.get(f"{url}/")
        assert page.url.path == "/sign-in" and "Sign in with your school account" in page.text
        page = browser.get(f"{url}/sign-in/oidc?next=/caseload")
        assert page.status_code == 200 and page.url.path == "/caseload"
        assert "Signed in as Sam Lead" in page.text


def test_an_identity_the_service_does_not_know_is_refused(pages):
    url, _, provider = pages
    provider.email = "stranger@elsewhere.example"
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        page = browser.get(f"{url}/sign-in/oidc")
        assert page.url.path == "/sign-in" and "is not set up to use this service" in page.text
        assert browser.get(f"{url}/", follow_redirects=False).status_code == 303


def test_an_unverified_email_is_refused(pages):
    url, _, provider = pages
    provider.verified = False
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        assert "did not give a verified email" in browser.get(f"{url}/sign-in/oidc").text


def test_a_callback_this_service_did_not_start_is_refused(pages):
    url, _, _ = pages
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        page = browser.get(f"{url}/sign-in/oidc/callback?code=made-up&state=made-up")
        assert page.url.path == "/sign-in" and "not started here" in page.text


def test_a_sign_in_link_works_once_and_sets_a_safe_cookie(pages):
    url, engine, _ = pages
    link = sign_in_url(engine, url, "Sam Lead")
    with httpx.Client(timeout=10) as browser:
        first = browser.get(link)
        cookie = first.headers["set-cookie"].lower()
        assert first.status_code == 303 and "httponly" in cookie and "samesite=lax" in cookie
        assert browser.get(f"{url}/").status_code == 200
    with httpx.Client(timeout=10) as someone_else:
        assert someone_else.get(link).status_code == 401


def test_the_cookie_is_secure_behind_tls(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}", consumer_enabled=False)  # the default
    engine = open_database(settings)
    add_staff(engine, "Sam Lead", Role.SCHOOL_STAFF, SCHOOL_A)
    with TestClient(create_app(settings, KafkaSettings())) as client:
        response = client.get(sign_in_url(engine, "", "Sam Lead"), follow_redirects=False)
    assert "secure" in response.headers["set-cookie"].lower()


def test_every_form_needs_the_sessions_csrf_token(pages):
    url, engine, _ = pages
    with httpx.Client(timeout=10) as browser:
        browser.get(sign_in_url(engine, url, "Sam Lead"))
        case_id = 1
        forged = browser.post(f"{url}/cases/{case_id}/notes", data={"text": "forged", "csrf_token": "guess"},
                              headers={"referer": f"{url}/pupils/{SCHOOL_A}/p1"})  # fmt: skip
        assert forged.status_code == 303 and "out+of+date" in forged.headers["location"]
        missing = browser.post(f"{url}/cases/{case_id}/notes", data={"text": "forged"})
        assert missing.status_code in (303, 422)
        page = browser.get(f"{url}/pupils/{SCHOOL_A}/p1")
        assert "forged" not in page.text


def test_signing_out_ends_the_session(pages):
    url, engine, _ = pages
    with httpx.Client(timeout=10) as browser:
        browser.get(sign_in_url(engine, url, "Sam Lead"))
        csrf = browser.get(f"{url}/").text.split('name="csrf_token" value="')[1].split('"')[0]
        stolen = dict(browser.cookies)
        assert browser.post(f"{url}/sign-out", data={"csrf_token": csrf}).status_code == 303
        assert browser.get(f"{url}/").status_code == 303
    with httpx.Client(timeout=10, cookies=stolen) as replay:
        assert replay.get(f"{url}/").status_code == 303  # the old cookie no longer works


def test_an_idle_session_expires(pages):
    url, engine, _ = pages
    with httpx.Client(timeout=10) as browser:
        browser.get(sign_in_url(engine, url, "Sam Lead"))
        assert browser.get(f"{url}/").status_code == 200
        with Session(engine) as session:
            row = session.exec(select(StaffSession)).one()
            row.last_seen_at = row.last_seen_at - dt.timedelta(minutes=31)
            session.add(row)
            session.commit()
        assert browser.get(f"{url}/").status_code == 303


def test_an_emails_alert_link_leads_through_sign_in_to_the_pupil_at_that_school_only(pages):
    url, engine, _ = pages
    link = f"{url}/alerts/{risk_alert('p1', SCHOOL_A).alert_id}"
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        page = browser.get(link)
        assert page.url.path == "/sign-in"
        page = browser.get(sign_in_url(engine, url, "Sam Lead", next_path=page.url.params["next"]))
        assert page.status_code == 200 and page.url.path == f"/pupils/{SCHOOL_A}/p1"
    add_staff(engine, "Other Lead", Role.SCHOOL_STAFF, SCHOOL_B)
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        browser.get(sign_in_url(engine, url, "Other Lead"))
        assert browser.get(link).status_code == 404
        assert browser.get(f"{url}/alerts/{'0' * 64}").status_code == 404


def test_a_casework_messages_case_link_opens_the_pupil_at_that_school_only(pages):
    url, engine, _ = pages
    with Session(engine) as session:
        case_id = session.exec(select(Case.id).where(Case.school_urn == SCHOOL_A, Case.pupil_id == "p1")).one()
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        browser.get(sign_in_url(engine, url, "Sam Lead"))
        assert browser.get(f"{url}/cases/{case_id}").url.path == f"/pupils/{SCHOOL_A}/p1"
    add_staff(engine, "Other Lead", Role.SCHOOL_STAFF, SCHOOL_B)
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        browser.get(sign_in_url(engine, url, "Other Lead"))
        assert browser.get(f"{url}/cases/{case_id}").status_code == 404
        assert browser.get(f"{url}/cases/999999").status_code == 404


def test_revoking_a_member_of_staff_ends_their_signed_in_session(pages):
    url, engine, _ = pages
    with httpx.Client(timeout=10) as browser:
        browser.get(sign_in_url(engine, url, "Sam Lead"))
        assert browser.get(f"{url}/caseload").status_code == 200
        assert revoke_staff(engine, "Sam Lead") == 1
        assert browser.get(f"{url}/caseload").status_code == 303
