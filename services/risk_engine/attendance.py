"""A pupil's sessions, and the arithmetic over them. Pure.

A pupil's record maps each session slot to the latest code recorded for it, stored
compactly as "recorded-at|code" so plain string comparison orders two recordings
(later time wins, ties broken by code). Applying a mark is therefore idempotent and
order-independent: any permutation of the same marks, duplicates and corrections
included, yields the same record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shared.codes import Category, CodeTable

# "school|YYYY-MM-DD|AM" -> "YYYYmmddTHHMMSS.ffffff|CODE" (recorded-at in UTC)
Sessions = dict[str, str]


def slot_of(school_urn: str, date: dt.date, session: str) -> str:
    return f"{school_urn}|{date.isoformat()}|{session}"


def recorded_key(recorded_at: dt.datetime) -> str:
    return recorded_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S.%f")


def apply_mark(sessions: Sessions, slot: str, code: str, recorded: str) -> bool:
    """Record `code` for `slot` unless a later recording is already there. True if changed."""
    candidate = f"{recorded}|{code}"
    current = sessions.get(slot)
    if current is not None and current >= candidate:
        return False
    sessions[slot] = candidate
    return True


def code_in(value: str) -> str:
    return value.rsplit("|", 1)[1]


@dataclass(frozen=True, slots=True)
class Tally:
    possible: int = 0
    attended: int = 0
    authorised: int = 0
    unauthorised: int = 0

    @property
    def absent(self) -> int:
        return self.authorised + self.unauthorised

    @property
    def absence_rate(self) -> float:
        return self.absent / self.possible if self.possible else 0.0

    @property
    def attendance_rate(self) -> float:
        return self.attended / self.possible if self.possible else 0.0


def tally(codes, table: CodeTable) -> Tally:
    """Count possible, attended and absent sessions for some codes."""
    possible = attended = authorised = unauthorised = 0
    for code in codes:
        category = table.category(code)
        if not category.counts_as_possible:
            continue
        possible += 1
        if category.attended:
            attended += 1
        elif category is Category.AUTHORISED:
            authorised += 1
        else:
            unauthorised += 1
    return Tally(possible, attended, authorised, unauthorised)
