"""The mid-year review and the end-of-year impact evaluation, for the borough and for each school, as
HTML and as PDF (printed by the same Debian Chromium the browser tests use). Reports leave the LA, so
their figures are always suppressed."""

from __future__ import annotations

import datetime as dt
import enum
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from services.referrals.insight.evaluation import ImpactEvaluation, evaluate
from services.referrals.insight.recent import Recent
from services.referrals.web.borough_views import DIMENSION_TITLES, BoroughPage, borough_page
from services.referrals.web.templating import environment

STYLES = Path(__file__).parent / "static" / "ews.css"
PDF_SECONDS = 120


class ReportKind(enum.StrEnum):
    MID_YEAR = "mid-year"
    END_OF_YEAR = "end-of-year"

    @classmethod
    def for_day(cls, day: dt.date) -> ReportKind:
        """The report a day calls for: the review until Easter, the evaluation in the summer term."""
        return cls.END_OF_YEAR if 4 <= day.month <= 8 else cls.MID_YEAR

    @property
    def title(self) -> str:
        return {"mid-year": "Mid-year review", "end-of-year": "End-of-year impact evaluation"}[self.value]


@dataclass(frozen=True)
class Report:
    kind: ReportKind
    school_urn: str | None
    page: BoroughPage
    evaluation: ImpactEvaluation


def build(session: Session, kind: ReportKind, school_urn: str | None, as_of: dt.date) -> Report:
    schools = frozenset({school_urn}) if school_urn else None
    return Report(kind, school_urn, borough_page(Recent(0), session, schools, as_of, suppressed=True),
                  evaluate(session, schools, as_of))  # fmt: skip


def render(report: Report) -> str:
    template = environment().get_template("report.html")
    return template.render(report=report, page=report.page, evaluation=report.evaluation, titles=DIMENSION_TITLES,
                           styles=STYLES.read_text(encoding="utf-8"))  # fmt: skip


def print_pdf(html: Path, pdf: Path) -> None:
    """Chromium's own print of the HTML page, with its charts, to a PDF."""
    chromium = shutil.which("chromium")
    if chromium is None:
        raise RuntimeError("Debian's chromium prints the PDF: apt-get install chromium (the HTML is written)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
             "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.resolve().as_uri()],
            check=True, capture_output=True, timeout=PDF_SECONDS,
        )  # fmt: skip


def file_stem(report: Report) -> str:
    return f"{report.kind.value}-{report.school_urn or 'borough'}-{report.page.view.as_of.isoformat()}"


def write(report: Report, folder: Path, pdf: bool = True) -> list[Path]:
    """The report's HTML (and PDF) in `folder`; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    html = folder / f"{file_stem(report)}.html"
    html.write_text(render(report), encoding="utf-8")
    if not pdf:
        return [html]
    print_pdf(html, html.with_suffix(".pdf"))
    return [html, html.with_suffix(".pdf")]
