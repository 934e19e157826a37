"""What staff read for each alert rule and absence band: one wording for pages and messages, so an
email and the page it links to name an alert the same way."""

from __future__ import annotations

TITLES = {
    "persistent_absence": "Persistent absence (10% or more)",
    "chronic_absence": "Chronic absence (20% or more)",
    "severe_absence": "Severe absence (50% or more)",
    "strong_attendance_decline": "Attendance falling term on term",
    "attendance_decline": "Attendance falling in recent weeks",
    "first_week_absence": "Absent early in the term",
    "unauthorised_10_in_10": "10 unauthorised sessions in 10 weeks",
    "missing_education": "May be missing education",
}
RULES = ("persistent_absence", "attendance_decline", "strong_attendance_decline", "first_week_absence",
         "unauthorised_10_in_10", "missing_education")  # fmt: skip


def title(rule: str, band: str | None = None) -> str:
    """The band's title where the alert has one (the absence ladder), else the rule's."""
    code = band or rule
    return TITLES.get(code, code.replace("_", " ").capitalize())
