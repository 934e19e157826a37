"""The local authority's officer at a browser: the borough's figures with the trend, the seed targets
and the breakdowns, the suppressed version, which support works, the missing-education queue; and a
school's staff refused all of it. axe-core checks every page, at a laptop's width and a phone's."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from services.referrals.staff import Role, add_staff
from services.referrals.web.sessions import sign_in_url
from tests.browser.conftest import check_accessibility
from tests.browser.test_staff_pages import LAPTOP, PHONE
from tests.factories import SCHOOL_A, randomised_round
from tests.service.referrals_support import consume

AS_OF = "as_of=2025-11-28"  # inside the autumn term the fixture's register covers


@pytest.fixture
def officer(staff_pages):
    url, engine = staff_pages
    add_staff(engine, "Lee Officer", Role.LA_ATTENDANCE_OFFICER, None)
    consume(engine, *randomised_round(dt.date(2025, 9, 29)))  # its six weeks after are over by AS_OF
    return url, engine


def test_an_la_officer_reads_the_borough(chromium, officer, tmp_path):
    url, engine = officer
    page = chromium.new_page(viewport=LAPTOP)
    page.goto(sign_in_url(engine, url, "Lee Officer", next_path=f"/borough?{AS_OF}"))
    expect(page.get_by_role("heading", name="The borough", exact=True)).to_be_visible()
    expect(page.get_by_text("Flagged pupils with support started within 10 school days (3.3)")).to_be_visible()
    expect(page.locator("svg.ews-chart")).to_be_visible()
    school_rows = page.get_by_role("table", name="By school, year to date")
    expect(school_rows.get_by_role("rowheader", name=SCHOOL_A)).to_be_visible()
    check_accessibility(page)
    page.screenshot(path=tmp_path / "borough.png", full_page=True)

    page.get_by_role("link", name="Show as published, with small numbers suppressed").click()
    expect(page.get_by_text("as published: small numbers shown as c")).to_be_visible()
    assert page.get_by_role("table", name="By school, year to date").get_by_role("cell", name="c").count() >= 1
    check_accessibility(page)

    page.get_by_role("link", name="Which support works").first.click()
    expect(page.get_by_text("This is observational, not a trial.")).to_be_visible()
    messages = page.get_by_role("table", name="Messages to parents: change in attendance, offered against held back")
    overall = messages.get_by_role("row").filter(has=page.get_by_role("rowheader", name="All")).inner_text()
    assert "too few" not in overall and re.search(r"\(.+ to .+\)", overall), overall  # an estimate and its interval
    check_accessibility(page)

    page.get_by_role("link", name="Missing education").click()
    expect(page.get_by_role("heading", name="Children missing education")).to_be_visible()
    check_accessibility(page)
    page.close()


def test_the_borough_pages_work_on_a_phone(chromium, officer):
    url, engine = officer
    page = chromium.new_page(viewport=PHONE)
    page.goto(sign_in_url(engine, url, "Lee Officer"))
    for path in (f"/borough?{AS_OF}", f"/borough/impact?{AS_OF}", "/borough/cme"):
        page.goto(f"{url}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} scrolls sideways on a phone by {overflow}px"
        check_accessibility(page)
    page.close()


def test_school_staff_cannot_reach_the_la_pages(chromium, staff_pages):
    url, engine = staff_pages
    page = chromium.new_page(viewport=LAPTOP)
    page.goto(sign_in_url(engine, url, "Sam Lead"))
    assert page.get_by_role("link", name="Borough").count() == 0
    for path in ("/borough", f"/borough?school_urn={SCHOOL_A}", "/borough/impact", "/borough/cme"):
        response = page.goto(f"{url}{path}")
        assert response.status == 403, path
        expect(page.get_by_role("heading", name="You cannot see this page")).to_be_visible()
    page.close()
