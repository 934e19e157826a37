"""The borough's attendance, persistent and severe absence, broken down by school, area, year group
and characteristic group. Pure: it counts what it is given.

Persistent absence is 10% or more of a pupil's own possible sessions in the period, severe 50% or
more (the DfE's definitions). A pupil counts once they have `MIN_POSSIBLE` possible sessions in the
period, so the first days of a half-term do not make everyone with one absence "persistently absent".

Pupils come as columns and are summed with numpy: a borough view of 25,000 pupils is answered while
the officer waits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

MIN_POSSIBLE = 10  # one school week
PERSISTENT_PERCENT = 10
SEVERE_PERCENT = 50

# The characteristic groups the borough reports on (the DfE's, and the seeds' target groups).
GROUPS = {
    "fsm": "Free school meals",
    "sen_support": "SEN support",
    "ehc_plan": "EHC plan",
    "eal": "English as an additional language",
    "child_in_need": "Child in need",
    "child_protection": "Child protection plan",
    "looked_after": "Looked after",
}


def at_least(absent, possible, percent: int):
    """Whether `absent` is `percent`% or more of `possible`, in whole numbers (no rounding at the line);
    for numbers or numpy arrays."""
    return absent * 100 >= possible * percent


@dataclass(frozen=True)
class Pupils:
    """Pupils as columns, one entry each (a borough is 25,000: counted with numpy, not one by one)."""

    school_urn: Sequence[str]
    pupil_id: Sequence[str]
    year_group: Sequence[int | None]
    area_code: Sequence[str | None]
    groups: Sequence[frozenset[str]]
    possible: np.ndarray
    absent: np.ndarray

    @property
    def counted(self) -> np.ndarray:
        return self.possible >= MIN_POSSIBLE

    @property
    def attendance(self) -> np.ndarray:
        """Each pupil's attendance rate (0 where they have no possible session)."""
        return 1 - self.absent / np.maximum(self.possible, 1)

    @classmethod
    def of(cls, pupils: Iterable[PupilPeriod]) -> Pupils:
        pupils = list(pupils)
        return cls([p.school_urn for p in pupils], [p.pupil_id for p in pupils], [p.year_group for p in pupils],
                   [p.area_code for p in pupils], [p.groups for p in pupils],
                   np.array([p.possible for p in pupils], dtype=np.int64),
                   np.array([p.absent for p in pupils], dtype=np.int64))  # fmt: skip


@dataclass(frozen=True)
class PupilPeriod:
    """One enrolment's sessions over a period, with what it is reported by."""

    school_urn: str
    pupil_id: str
    year_group: int | None
    area_code: str | None
    groups: frozenset[str]
    possible: int
    absent: int


@dataclass(frozen=True)
class AttendanceRow:
    """One group's figures: pupils counted, their sessions, and how many are persistently and severely
    absent."""

    group: str
    pupils: int = 0
    possible: int = 0
    absent: int = 0
    persistent: int = 0
    severe: int = 0

    @property
    def attendance_rate(self) -> float | None:
        return round(1 - self.absent / self.possible, 4) if self.possible else None

    @property
    def persistent_rate(self) -> float | None:
        return round(self.persistent / self.pupils, 4) if self.pupils else None

    @property
    def severe_rate(self) -> float | None:
        return round(self.severe / self.pupils, 4) if self.pupils else None


@dataclass(frozen=True)
class Breakdown:
    """Figures for everyone and by one dimension; `partition` says whether the rows add up to the
    total (schools do; characteristic groups overlap)."""

    dimension: str
    total: AttendanceRow
    rows: list[AttendanceRow]
    partition: bool


@dataclass(frozen=True)
class BoroughFigures:
    total: AttendanceRow
    breakdowns: dict[str, Breakdown] = field(default_factory=dict)


DIMENSIONS = {"school": True, "area": True, "year_group": True, "group": False}  # partition?


def borough_figures(pupils: Pupils) -> BoroughFigures:
    """Everyone's figures and each dimension's. A pupil counts from MIN_POSSIBLE possible sessions."""
    counted = pupils.counted
    possible, absent = pupils.possible * counted, pupils.absent * counted
    measures = np.stack([counted.astype(np.int64), possible, absent,
                         counted & at_least(absent, possible, PERSISTENT_PERCENT),
                         counted & at_least(absent, possible, SEVERE_PERCENT)]).astype(np.int64)  # fmt: skip
    everyone = AttendanceRow("All pupils", *(int(total) for total in measures.sum(axis=1)))
    labels = {
        "school": list(pupils.school_urn),
        "area": [area or "unknown" for area in pupils.area_code],
        "year_group": [f"Year {year}" if year is not None else "unknown" for year in pupils.year_group],
    }
    rows = {name: _sums_by_label(found, measures) for name, found in labels.items()}
    names = sorted({group for groups in pupils.groups for group in groups})
    rows["group"] = [
        AttendanceRow(name, *(int(n) for n in measures[:, [name in g for g in pupils.groups]].sum(axis=1)))
        for name in names
    ]
    return BoroughFigures(
        everyone, {name: Breakdown(name, everyone, [r for r in found if r.pupils], DIMENSIONS[name])
                   for name, found in rows.items()}
    )  # fmt: skip


def pupils_figures(pupils: Iterable[PupilPeriod]) -> BoroughFigures:
    """The figures of pupils given one by one."""
    return borough_figures(Pupils.of(pupils))


def _sums_by_label(labels: list[str], measures: np.ndarray) -> list[AttendanceRow]:
    if not labels:
        return []
    names, index = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
    sums = [np.bincount(index, weights=measure, minlength=len(names)) for measure in measures]
    rows = [AttendanceRow(str(name), *(int(s[i]) for s in sums)) for i, name in enumerate(names)]
    return sorted(rows, key=lambda row: _natural(row.group))


def _natural(label: str) -> tuple:
    """Year 2 before Year 10."""
    head, _, tail = label.rpartition(" ")
    return (head, int(tail), "") if tail.isdigit() else (label, 0, label)
