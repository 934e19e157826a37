"""When a message may go: critical at once; anything else outside the recipient's quiet hours on a
school day; digests at the digest time of a school day. Pure; times are Europe/London."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from services.notifications.routing import Timing
from shared.time import SCHOOL_TIMEZONE as LONDON

IsSchoolDay = Callable[[dt.date], bool]
LOOK_AHEAD_DAYS = 60  # past the longest school holiday


@dataclass(frozen=True)
class QuietHours:
    """From `start` to `end`, local time; crosses midnight when start > end (18:00 to 07:30)."""

    start: dt.time
    end: dt.time

    def contains(self, moment: dt.time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """'18:00-07:30'."""
        start, _, end = text.partition("-")
        try:
            return cls(dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip()))
        except ValueError:
            raise ValueError(f"quiet hours {text!r} are not HH:MM-HH:MM") from None


def release_at(now: dt.datetime, timing: Timing, quiet: QuietHours, is_school_day: IsSchoolDay) -> dt.datetime:
    """The first moment from `now` at which a message of this timing may go (UTC)."""
    if timing is Timing.CRITICAL:
        return now
    local = now.astimezone(LONDON)
    if is_school_day(local.date()) and not quiet.contains(local.time()):
        return now
    day = local.date()
    for _ in range(LOOK_AHEAD_DAYS):
        opening = dt.datetime.combine(day, quiet.end, LONDON)
        if opening > local and is_school_day(day):
            return opening.astimezone(dt.UTC)
        day += dt.timedelta(days=1)
    return now


def next_digest_at(now: dt.datetime, digest_time: dt.time, is_school_day: IsSchoolDay) -> dt.datetime:
    """The digest an item made `now` joins: today's at `digest_time` if it has not gone yet and today
    is a school day, else the next school day's (UTC)."""
    local = now.astimezone(LONDON)
    day = local.date()
    for _ in range(LOOK_AHEAD_DAYS):
        moment = dt.datetime.combine(day, digest_time, LONDON)
        if moment > local and is_school_day(day):
            return moment.astimezone(dt.UTC)
        day += dt.timedelta(days=1)
    return now
