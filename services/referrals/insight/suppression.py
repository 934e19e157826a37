"""Small numbers suppressed on anything that leaves the LA role. Pure.

Primary: a count from 1 to 4 is shown as "c", and so is every rate worked from it; a group of fewer
than 5 pupils shows nothing but "c". Secondary: where a breakdown's rows add up to its total (schools,
areas, year groups), a column with exactly one suppressed cell could be worked back by subtraction,
so the next smallest non-zero cell in that column is suppressed too. Characteristic groups overlap
and no complement is published, so subtraction reveals nothing there.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.referrals.insight.figures import AttendanceRow, Breakdown

SUPPRESSED = "c"
THRESHOLD = 5
COUNTS = ("pupils", "persistent", "severe")
# Each rate, and the count it is worked from.
RATES = {"attendance_rate": "pupils", "persistent_rate": "persistent", "severe_rate": "severe"}

Shown = int | float | str | None


@dataclass(frozen=True)
class PublishedRow:
    group: str
    pupils: Shown
    persistent: Shown
    severe: Shown
    attendance_rate: Shown
    persistent_rate: Shown
    severe_rate: Shown

    @classmethod
    def of(cls, row: AttendanceRow, hidden: frozenset[str] = frozenset()) -> PublishedRow:
        values = {name: getattr(row, name) for name in (*COUNTS, *RATES)}
        for name in hidden:
            values[name] = SUPPRESSED
        for rate, source in RATES.items():
            if source in hidden or "pupils" in hidden:  # a rate and its count give the pupils back
                values[rate] = SUPPRESSED
        return cls(group=row.group, **values)


def is_small(count) -> bool:
    """A count that is suppressed where figures leave the LA."""
    return isinstance(count, int) and 0 < count < THRESHOLD


def _primary(row: AttendanceRow) -> set[str]:
    if is_small(row.pupils):
        return set(COUNTS)
    return {name for name in COUNTS if is_small(getattr(row, name))}


def suppress(breakdown: Breakdown) -> tuple[PublishedRow, list[PublishedRow]]:
    """The breakdown's total and rows as they may be published."""
    hidden = [_primary(row) for row in breakdown.rows]
    if breakdown.partition:
        for name in COUNTS:
            _complement(breakdown.rows, hidden, name)
    total = PublishedRow.of(breakdown.total, frozenset(_primary(breakdown.total)))
    return total, [PublishedRow.of(row, frozenset(h)) for row, h in zip(breakdown.rows, hidden, strict=True)]


def _complement(rows: list[AttendanceRow], hidden: list[set[str]], name: str) -> None:
    suppressed = [i for i, h in enumerate(hidden) if name in h]
    if len(suppressed) != 1:
        return
    candidates = [i for i, row in enumerate(rows) if name not in hidden[i] and getattr(row, name) > 0]
    if candidates:
        hidden[min(candidates, key=lambda i: getattr(rows[i], name))].add(name)
