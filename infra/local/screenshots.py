"""Screenshots for the README: the staff pages and the LA's borough page from a running demo borough, and
the first page of its mid-year review (`ews screenshots`); and a rendered email (`ews digest-preview`)."""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip


def capture(sign_in_link: str, out: Path) -> list[Path]:
    """Sign in with the link, then photograph Today and the first pupil on it: the pupil's first screens
    (figures, chart, the calendar's start) and the whole page."""
    from playwright.sync_api import sync_playwright  # a test dependency: only this command needs it

    chromium = _chromium()
    out.mkdir(parents=True, exist_ok=True)
    today, pupil, whole = out / "today.png", out / "pupil.png", out / "pupil-full.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(sign_in_link)
        page.screenshot(path=today, full_page=False)
        page.locator(".govuk-summary-card__title a").first.click()
        page.screenshot(path=pupil, full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": 1500})
        page.screenshot(path=whole, full_page=True)
        browser.close()
    return [today, pupil, whole]


def capture_borough(sign_in_link: str, out: Path) -> Path:
    """The LA officer's borough page: its first screens (figures, targets, the weekly chart)."""
    from playwright.sync_api import sync_playwright

    borough = out / "borough.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(sign_in_link)
        page.screenshot(path=borough, full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": 1700})
        browser.close()
    return borough


def _chromium() -> str:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("Debian's chromium is needed: apt-get install chromium")
    return chromium


def capture_html(html: Path, out: Path, *, first_page: bool = False) -> None:
    """A rendered email as a reader sees it, at a laptop's width, whole; or with `first_page`, a report's
    start, about a printed page's worth."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 800, "height": 1130 if first_page else 600})
        page.goto(html.resolve().as_uri())
        page.screenshot(path=out, full_page=not first_page)
        browser.close()
