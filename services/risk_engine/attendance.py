"""Attendance arithmetic: a pupil's sessions and the figures derived from them. Pure.

A pupil's record maps each session slot to the latest code recorded for it.
Applying a mark is idempotent and order-independent: the mark with the later
`recorded_at` wins, ties broken by the code itself, so any permutation of the
same marks (duplicates and corrections included) yields the same record.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.codes import Category, CodeTable

# slot -> (code, recorded_at as ISO-8601 UTC); ISO strings in UTC order as times do.
Sessions = dict[str, tuple[str, str]]


def apply_mark(sessions: Sessions, slot: str, code: str, recorded_at: str) -> bool:
    """Record `code` for `slot` unless a later recording is already there. True if changed."""
    current = sessions.get(slot)
    candidate = (code, recorded_at)
    if current is not None and (current[1], current[0]) >= (recorded_at, code):
        return False
    sessions[slot] = candidate
    return True


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


def tally(codes: list[str] | tuple[str, ...], table: CodeTable) -> Tally:
    """Count possible, attended and absent sessions for a list of codes."""
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


def tally_sessions(sessions: Sessions, table: CodeTable) -> Tally:
    return tally([code for code, _ in sessions.values()], table)
