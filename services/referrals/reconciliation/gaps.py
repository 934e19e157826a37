"""The pure rule: a school-session is complete when every pupil on roll has a mark, and overdue when a
school day's register has no mark at all once its deadline has passed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

SESSIONS = ("AM", "PM")


@dataclasses.dataclass(frozen=True)
class RegisterDeadlines:
    """When each session's register should be in, school time (Europe/London)."""

    am: dt.time = dt.time(10, 0)
    pm: dt.time = dt.time(14, 30)

    def of(self, session: str) -> dt.time:
        return self.am if session == "AM" else self.pm


@dataclasses.dataclass(frozen=True)
class SchoolSession:
    school_urn: str
    date: dt.date
    session: str
    on_roll: int  # pupils on roll that day, at a school open that day
    marked: int  # of them, how many have a mark for the session

    @property
    def unmarked(self) -> int:
        return self.on_roll - self.marked


@dataclasses.dataclass(frozen=True)
class Reconciliation:
    date: dt.date
    sessions: tuple[SchoolSession, ...]
    overdue: frozenset[tuple[str, str]]  # (school, session) with no mark at all after the deadline

    @property
    def gaps(self) -> tuple[SchoolSession, ...]:
        return tuple(s for s in self.sessions if s.unmarked > 0)


def reconcile(
    day: dt.date,
    on_roll: Mapping[str, int],
    marked: Mapping[tuple[str, str], int],
    *,
    now: dt.datetime,
    deadlines: RegisterDeadlines,
) -> Reconciliation:
    """Every open school's sessions that day; `on_roll` holds only schools open that day, `now` is
    school time. A session before its deadline is reported but not overdue."""
    sessions = tuple(
        SchoolSession(school, day, session, count, marked.get((school, session), 0))
        for school, count in sorted(on_roll.items())
        if count > 0
        for session in SESSIONS
    )
    past = {s for s in SESSIONS if day < now.date() or (day == now.date() and now.time() >= deadlines.of(s))}
    overdue = frozenset((s.school_urn, s.session) for s in sessions if s.session in past and s.marked == 0)
    return Reconciliation(day, sessions, overdue)
