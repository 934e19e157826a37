"""Pastoral staff at a browser: sign in, see today's alerts, accept the proposed support, add a note and
see it on the timeline, open the pupil's chart and calendar, meet another school's pupil as 404, sign
out. Every page is checked with axe-core, at a laptop's width and a phone's; screenshots are saved
in the test's folder."""

import re

from playwright.sync_api import expect

from services.referrals.web.sessions import sign_in_url
from tests.browser.conftest import OTHER_PUPIL, PUPIL, check_accessibility
from tests.factories import SCHOOL_A, SCHOOL_B

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def test_a_pastoral_lead_works_todays_alert_through_the_pages(chromium, staff_pages, tmp_path):
    url, engine = staff_pages
    page = chromium.new_page(viewport=LAPTOP)
    page.goto(f"{url}/")
    assert page.url.startswith(f"{url}/sign-in")
    check_accessibility(page)

    page.goto(sign_in_url(engine, url, "Sam Lead"))
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    expect(page.get_by_text("85% of absences fall on Mondays or Fridays")).to_be_visible()
    expect(page.get_by_text("absent 8 of the last 20 sessions, mostly Mondays and Fridays")).to_be_visible()
    expect(page.get_by_text("Proposed support:")).to_be_visible()
    check_accessibility(page)
    page.screenshot(path=tmp_path / "today.png", full_page=True)

    page.get_by_role("button", name="Accept: pastoral check-in").first.click()
    expect(page.get_by_text("Pastoral check-in: offered")).to_be_visible()

    page.get_by_role("link", name="Maya Jones").click()
    expect(page.get_by_role("heading", name="Maya Jones")).to_be_visible()
    expect(page.locator("svg.ews-chart")).to_be_visible()
    assert page.locator(".ews-calendar .ews-kind-unauthorised").count() >= 10
    corrected = page.locator(".ews-corrected[title*='corrected from N']")
    assert corrected.count() == 1
    page.get_by_text("The figures as a table").click()
    assert (
        page.get_by_role("cell", name="Week beginning").count()
        + page.get_by_role("columnheader", name="Week beginning").count()
        >= 1
    )
    check_accessibility(page)

    page.get_by_label("Add a note").fill("Spoke to Maya's mum: Mondays are hard since her dad's shifts changed")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Note added to the timeline.")).to_be_visible()
    expect(page.get_by_text("Mondays are hard since her dad's shifts changed")).to_be_visible()
    page.screenshot(path=tmp_path / "pupil.png", full_page=True)

    page.get_by_role("link", name="Caseload", exact=True).click()
    expect(page.get_by_role("rowheader", name="Maya Jones")).to_be_visible()
    check_accessibility(page)

    response = page.goto(f"{url}/pupils/{SCHOOL_B}/{OTHER_PUPIL}")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()

    page.goto(f"{url}/")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(re.escape(f"{url}/sign-in")))
    page.goto(f"{url}/pupils/{SCHOOL_A}/{PUPIL}")
    assert page.url.startswith(f"{url}/sign-in")
    page.close()


def test_the_pages_work_on_a_phone(chromium, staff_pages, tmp_path):
    url, engine = staff_pages
    page = chromium.new_page(viewport=PHONE)
    page.goto(sign_in_url(engine, url, "Sam Lead"))
    for path in ("/", "/caseload", f"/pupils/{SCHOOL_A}/{PUPIL}"):
        page.goto(f"{url}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} scrolls sideways on a phone by {overflow}px"
        check_accessibility(page)
    page.screenshot(path=tmp_path / "pupil-phone.png", full_page=True)
    page.close()
