"""A rendered digest for the README (`ews digest-preview`): a head of year's day at a demo school,
as text, as HTML and as a screenshot of the HTML in Chromium. The events are made up here, in
the shapes the services publish; the rendering is the service's own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from infra.local.screenshots import capture_html
from services.notifications.messages import digest_message
from services.notifications.notices import notice_of_alert, notice_of_casework
from shared.events import ReferralEvent, ReferralEventKind, RiskAlert, Transition, alert_id_for

SCHOOL = "100001"


def _alert(pupil: str, rule: str, reasons: list[str], score: int, band: str | None = None, *,
           transition: Transition = Transition.RAISED) -> RiskAlert:  # fmt: skip
    return RiskAlert(
        alert_id=alert_id_for(SCHOOL, pupil, rule, 1), pupil_id=pupil, school_urn=SCHOOL, rule=rule, episode=1,
        transition=transition, band=band, reasons=reasons, figures={"risk_score": score},
    )  # fmt: skip


def sample_day() -> list:
    return [
        notice_of_alert(
            _alert(
                "a3f9",
                "persistent_absence",
                [
                    "absent 14 of 120 possible sessions this year (11.7%)",
                    "absent 8 of the last 20 sessions, mostly Mondays",
                ],
                62,
                "persistent_absence",
            )
        ),  # fmt: skip
        notice_of_alert(
            _alert(
                "b71c",
                "persistent_absence",
                ["absent 25 of 120 possible sessions this year (20.8%)"],
                78,
                "chronic_absence",
                transition=Transition.ESCALATED,
            )
        ),  # fmt: skip
        notice_of_alert(_alert("c0d2", "strong_attendance_decline", ["attendance 96% last term, 84% this term"], 41)),
        notice_of_alert(_alert("d5e8", "unauthorised_10_in_10", ["11 unauthorised sessions in the last 10 weeks"], 55)),
        notice_of_casework(
            ReferralEvent(
                kind=ReferralEventKind.INTERVENTION_STARTED,
                case_id=12,
                pupil_id="e912",
                school_urn=SCHOOL,
                intervention="mentoring",
            )
        ),  # fmt: skip
        notice_of_casework(
            ReferralEvent(
                kind=ReferralEventKind.INTERVENTION_DECLINED,
                case_id=9,
                pupil_id="f44a",
                school_urn=SCHOOL,
                intervention="family_outreach",
            )
        ),  # fmt: skip
    ]


def write_preview(out: Path) -> list[Path]:
    message = digest_message(sample_day(), day=dt.date(2026, 12, 2), reference="delivery-1",
                             pages_url="https://attendance.borough.example")  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    text, html, png = out / "digest.txt", out / "digest.html", out / "digest.png"
    text.write_text(f"Subject: {message.subject}\n\n{message.text}")
    html.write_text(message.html)
    capture_html(html, png)
    return [text, html, png]
