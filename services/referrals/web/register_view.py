"""A pupil's register as the pupil page shows it: figures for any stretch of days, attendance week by
week, and a calendar of AM/PM sessions coloured by what each code counts as. Pure."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from html import escape

from services.referrals.registers import Register, corrected_from
from shared.calendar import SchoolDays
from shared.codes import Category, CodeTable

KINDS = {
    Category.PRESENT: "present",
    Category.APPROVED_ACTIVITY: "present",
    Category.AUTHORISED: "authorised",
    Category.UNAUTHORISED: "unauthorised",
    Category.NOT_POSSIBLE: "not-possible",
}
KIND_NAMES = {
    "present": "present or approved activity",
    "authorised": "authorised absence",
    "unauthorised": "unauthorised absence",
    "not-possible": "not a possible session",
    "unmarked": "no mark yet",
}


@dataclass(frozen=True)
class SessionView:
    day: dt.date
    session: str  # AM or PM
    code: str | None
    kind: str  # a KIND_NAMES key
    corrected_from: str | None

    @property
    def label(self) -> str:
        what = f"{self.code} ({KIND_NAMES[self.kind]})" if self.code else KIND_NAMES[self.kind]
        correction = f", corrected from {self.corrected_from}" if self.corrected_from else ""
        return f"{self.day:%a %d %b} {self.session}: {what}{correction}"


@dataclass(frozen=True)
class Week:
    monday: dt.date
    days: list[list[SessionView] | None]  # Monday to Friday; None when shut, [] when not yet come


@dataclass(frozen=True)
class Rate:
    possible: int
    attended: int

    @property
    def attendance(self) -> float | None:
        return self.attended / self.possible if self.possible else None


def session_view(sessions: Register, day: dt.date, session: str, table: CodeTable) -> SessionView:
    cell = sessions.get((day, session))
    if cell is None:
        return SessionView(day, session, None, "unmarked", None)
    return SessionView(day, session, cell[0], KINDS[table.category(cell[0])], corrected_from(cell))


def rate(sessions: Register, days: SchoolDays, table: CodeTable, first: dt.date, last: dt.date) -> Rate:
    """Attendance over the school days from `first` to `last`: attended / possible."""
    possible = attended = 0
    for day in days.school_days_between(first, last):
        for session in ("AM", "PM"):
            cell = sessions.get((day, session))
            if cell is None:
                continue
            category = table.category(cell[0])
            possible += category.counts_as_possible
            attended += category.attended
    return Rate(possible, attended)


WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays")


def absence_pattern(sessions: Register, days: SchoolDays, table: CodeTable, last: dt.date,
                    count: int = 20) -> str | None:  # fmt: skip
    """'absent 9 of the last 20 sessions, mostly Mondays': the pupil's latest `count` possible
    sessions up to `last`, and the weekday(s) that hold at least half the absences, if any do."""
    newest_first = [
        (day, table.category(cell[0]))
        for day in reversed(days.school_days_back(last, count))
        for session in ("PM", "AM")
        if (cell := sessions.get((day, session))) is not None
    ]
    recent = [(day, category) for day, category in newest_first if category.counts_as_possible][:count]
    absent_on = [day.weekday() for day, category in recent if not category.attended]
    if not absent_on:
        return None
    by_day = Counter(absent_on).most_common()
    top = [weekday for weekday, n in by_day if n == by_day[0][1] and n >= 2][:2]
    mostly = top and sum(absent_on.count(weekday) for weekday in top) * 2 >= len(absent_on)
    where = f", mostly {' and '.join(WEEKDAYS[weekday] for weekday in sorted(top))}" if mostly else ""
    return f"absent {len(absent_on)} of the last {len(recent)} sessions{where}"


def weeks(sessions: Register, days: SchoolDays, table: CodeTable, first: dt.date, last: dt.date) -> list[Week]:
    """Every week from `first` to `last` that had a school day, each weekday's two sessions."""
    monday = first - dt.timedelta(days=first.weekday())
    out = []
    while monday <= last:
        weekdays = [monday + dt.timedelta(days=n) for n in range(5)]
        shown = [
            None if not days.is_school_day(day) else [] if not first <= day <= last
            else [session_view(sessions, day, s, table) for s in ("AM", "PM")]
            for day in weekdays
        ]  # fmt: skip
        if any(shown):
            out.append(Week(monday, shown))
        monday += dt.timedelta(days=7)
    return out


def weekly_rates(sessions: Register, days: SchoolDays, table: CodeTable, calendar_weeks: list[Week]):
    """(Monday, attendance rate or None) for each week shown."""
    return [
        (week.monday, rate(sessions, days, table, week.monday, week.monday + dt.timedelta(days=4)).attendance)
        for week in calendar_weeks
    ]


def chart_floor(values: list[float]) -> float:
    """The chart's lowest line: 80%, or lower in steps of 10 points to show the lowest week."""
    return min(0.8, math.floor(min(values, default=1.0) * 10) / 10)


def weekly_chart(
    series: list[tuple[dt.date, float | None]],
    average: float | None,
    *,
    previous: list[float | None] | None = None,
    width: int = 640,
) -> str:
    """An SVG line of weekly attendance with the comparison average as a dashed line, and optionally the
    same weeks of last year as a second, thinner line. The page gives the same figures as a table: the
    chart is for those who can see it."""
    height, left, bottom, top = 180, 44, 24, 8
    points = [(i, value) for i, (_, value) in enumerate(series) if value is not None]
    earlier = [(i, value) for i, value in enumerate(previous or []) if value is not None]
    if not points:
        return ""
    step = (width - left - 8) / max(1, len(series) - 1)
    shown = [value for _, value in points + earlier] + ([average] if average is not None else [])
    floor = chart_floor(shown)

    def y(value: float) -> float:
        return top + (1.0 - max(floor, min(1.0, value))) / (1.0 - floor) * (height - top - bottom)

    def path_of(values: list[tuple[int, float]]) -> str:
        return " ".join(f"{'M' if n == 0 else 'L'}{left + i * step:.1f},{y(v):.1f}" for n, (i, v) in enumerate(values))

    path = path_of(points)
    last_year = f'<path d="{path_of(earlier)}" class="ews-chart__line--previous"/>' if earlier else ""
    grid = "".join(
        f'<line x1="{left}" x2="{width - 8}" y1="{y(g):.1f}" y2="{y(g):.1f}" class="ews-chart__grid"/>'
        f'<text x="{left - 6}" y="{y(g) + 4:.1f}" text-anchor="end" class="ews-chart__axis">{g:.0%}</text>'
        for g in [floor + n * (1.0 - floor) / 4 for n in range(5)]
    )
    line = f'<path d="{path}" class="ews-chart__line"/>'
    dots = "".join(
        f'<circle cx="{left + i * step:.1f}" cy="{y(v):.1f}" r="3" class="ews-chart__dot"/>' for i, v in points
    )
    benchmark = (
        f'<line x1="{left}" x2="{width - 8}" y1="{y(average):.1f}" y2="{y(average):.1f}" class="ews-chart__average"/>'
        if average is not None
        else ""
    )
    months = "".join(
        f'<text x="{left + i * step:.1f}" y="{height - 6}" text-anchor="middle" class="ews-chart__axis">{label}</text>'
        for i, label in month_starts([monday for monday, _ in series])
    )
    latest = points[-1][1]
    summary = escape(f"Weekly attendance for {len(series)} weeks, latest {latest:.0%}")
    return (
        f'<svg viewBox="0 0 {width} {height}" class="ews-chart" role="img" aria-label="{summary}">'
        f"<title>{summary}</title>{grid}{benchmark}{last_year}{line}{dots}{months}</svg>"
    )


def month_starts(mondays: list[dt.date]) -> list[tuple[int, str]]:
    """The weeks where a new month begins, labelled with the month: the chart's time axis."""
    return [(i, f"{monday:%b}") for i, monday in enumerate(mondays) if i == 0 or monday.month != mondays[i - 1].month]
