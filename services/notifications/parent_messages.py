"""Messages to parents at the start of each half-term, stating the days their child has missed
(never a percentage: families read "days" and misread rates), for pupils flagged by the rules the
school chose. Pure: which days start a half-term, who is held back in a randomised roll-out, and
the words.

The evidence (in docs/notifications.md) is that a plain statement of days missed, sent to
parents, reduces absence a little at almost no cost; a school that wants to know whether it
works for its own families holds back a share of flagged pupils, chosen by a seeded hash of the
pupil id, so the assignment is reproducible and owes nothing to anyone's judgement.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from shared.calendar import SchoolDays

START_WINDOW_SCHOOL_DAYS = 5  # a round missed on the first day (service down) still goes that week
DAYS_PLACEHOLDER = "{days_missed}"


def half_term_starts(days: SchoolDays) -> list[dt.date]:
    """The first school day of each term and of each term's second half."""
    starts = [term.start for term in days.terms]
    for _, end in days.half_terms:
        day = end + dt.timedelta(days=1)
        while not days.is_school_day(day) and day - end < dt.timedelta(days=14):
            day += dt.timedelta(days=1)
        starts.append(day)
    return sorted(set(starts))


def current_half_term_start(days: SchoolDays, today: dt.date) -> dt.date | None:
    """The half-term start whose first week `today` falls in, if any."""
    for start in reversed(half_term_starts(days)):
        if start <= today:
            school_days_in = len(days.school_days_between(start, today))
            return start if school_days_in <= START_WINDOW_SCHOOL_DAYS else None
    return None


def held_back(pupil_id: str, *, seed: str, share: float) -> bool:
    """In the comparison group: the pupil's place in [0, 1) by a seeded hash falls below the share."""
    digest = hashlib.sha256(f"{seed}|{pupil_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def days_missed(possible_sessions: int, attended_sessions: int) -> float:
    """Two sessions a day; a half day shows as .5."""
    return max(0, possible_sessions - attended_sessions) / 2


def in_words(days: float) -> str:
    whole = int(days)
    if days == whole:
        return f"{whole} day" if whole == 1 else f"{whole} days"
    return f"{whole} and a half days" if whole else "half a day"


def check_wording(wording: str) -> str:
    """A school's wording must state the days missed and must not state a rate."""
    if DAYS_PLACEHOLDER not in wording:
        raise ValueError(f"the wording must contain {DAYS_PLACEHOLDER}, where the days missed go")
    if "%" in wording or "percent" in wording.lower():
        raise ValueError("the wording states days missed, never a percentage")
    if len(wording) > 600:
        raise ValueError("the wording must fit in 600 characters (about four text messages)")
    return wording


def message_text(wording: str, days: float) -> str:
    return wording.replace(DAYS_PLACEHOLDER, in_words(days))
