"""A real browser (Debian's Chromium, driven by Playwright) against the staff pages served on
loopback, with axe-core checking every page. Skipped, with the reason, where Chromium is missing."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from sqlmodel import Session

from infra.local.screenshots import CHROMIUM_ARGS
from services.referrals.app import create_app, open_database
from services.referrals.casework.models import Provider
from services.referrals.consumer import handle_events
from services.referrals.settings import Settings
from services.referrals.staff import Role, add_staff
from services.referrals.web.assets import VENDOR
from shared.events import AttendanceMark, PupilAttendance
from shared.settings import KafkaSettings
from synthetic.calendar import school_calendar, school_days
from tests.factories import SCHOOL_A, SCHOOL_B, context, identity, mark, risk_alert
from tests.web_support import serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PUPIL = "a1" * 16
OTHER_PUPIL = "b2" * 16


# Package-scoped: Playwright's sync API holds an event loop on this thread while it is open, and the
# tests after these ones call asyncio.run().
@pytest.fixture(scope="package")
def chromium():
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (.ci/run installs it with apt-get); browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def autumn_register(pupil: str) -> list[AttendanceMark]:
    """The autumn term: absent most Mondays and Fridays from October, one N corrected to I."""
    calendar = school_calendar(SCHOOL_A, 2025)
    days = [day for day, term in school_days(calendar.terms, calendar.closures) if term == "autumn"][:50]
    marks = []
    for day in days:
        absent = day >= dt.date(2025, 10, 1) and day.weekday() in (0, 4)
        for session, present in (("AM", "/"), ("PM", "\\")):
            marks.append(mark(pupil, day, session, "N" if absent else present))
    marks.append(mark(pupil, days[-3], "AM", "I", hour=15))  # a parent rang: corrected later that day
    return marks


@pytest.fixture
def staff_pages(tmp_path):
    """Referrals with one flagged pupil at school A (a term of marks, figures, an alert, a provider)
    and one at school B; yields (base URL, engine)."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}", consumer_enabled=False, cookie_secure=False)
    engine = open_database(settings)
    with Session(engine) as session:
        session.add(Provider(name="School A mentors", kind="school", interventions=["mentoring", "pastoral_check_in"],
                             school_urns=[SCHOOL_A], capacity_per_term=5))  # fmt: skip
        session.commit()
    marks = autumn_register(PUPIL)
    last = max(mark.date for mark in marks)
    events = [school_calendar(SCHOOL_A, 2025), identity(PUPIL, SCHOOL_A, given_name="Maya"), context(PUPIL, SCHOOL_A),
              identity(OTHER_PUPIL, SCHOOL_B), context(OTHER_PUPIL, SCHOOL_B), *marks,
              PupilAttendance(pupil_id=PUPIL, school_urn=SCHOOL_A, possible=100, attended=86, authorised=1,
                              unauthorised=13, attendance_rate=0.86, absence_rate=0.14, last_date=last, risk_score=35),
              risk_alert(PUPIL, SCHOOL_A, band="persistent_absence", as_of=last,
                         reasons=("absent 14 of 100 possible sessions this year (14.0%)",
                                  "risk signal: 85% of absences fall on Mondays or Fridays"),
                         figures={"absence_rate": 0.14, "risk_score": 35}),
              risk_alert(OTHER_PUPIL, SCHOOL_B, as_of=last)]  # fmt: skip
    with Session(engine) as session:
        handle_events(session, events)
        session.commit()
    add_staff(engine, "Sam Lead", Role.SCHOOL_STAFF, SCHOOL_A)
    with serving(create_app(settings, KafkaSettings())) as url:
        yield url, engine


def check_accessibility(page) -> None:
    """axe-core on the page as it stands: no violation of serious or critical impact."""
    page.add_script_tag(path=str(VENDOR / "axe-core" / "axe.min.js"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"{page.url}: {serious}"
