"""Screenshots for the README: the staff pages from a running demo borough (`ews screenshots`), and a
rendered email (`ews digest-preview`)."""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip


def capture(sign_in_link: str, out: Path) -> list[Path]:
    """Sign in with the link, then photograph Today and the first pupil on it: the pupil's first screens
    (figures, chart, the calendar's start) and the whole page."""
    from playwright.sync_api import sync_playwright  # a test dependency: only this command needs it

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("Debian's chromium is needed: apt-get install chromium")
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


def capture_html(html: Path, out: Path) -> None:
    """A rendered email as a reader sees it, at a laptop's width."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("Debian's chromium is needed: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 800, "height": 600})
        page.goto(html.resolve().as_uri())
        page.screenshot(path=out, full_page=True)
        browser.close()
