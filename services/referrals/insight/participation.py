"""Enrichment and out-of-school participation (seed targets 1.5 and 3.9). Pure.

A participant came to at least one session of an activity this academic year. Pupils count once they
have enough possible sessions this year (figures.py). Targeted pupils are those below 90% attendance;
the seeds' wider group is pupils aged 8 to 16, taken as year groups 4 to 11 (ages 8-9 to 15-16 during
the year).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.referrals.insight.figures import Pupils

TARGETED_BELOW = 0.90
AGED_8_TO_16 = range(4, 12)

Enrolment = tuple[str, str]


@dataclass(frozen=True)
class ParticipationRate:
    group: str
    pupils: int
    participants: int

    @property
    def share(self) -> float | None:
        return round(self.participants / self.pupils, 4) if self.pupils else None


@dataclass(frozen=True)
class AttendanceComparison:
    """Attendance this year of participants and of everyone else (descriptive, not an effect)."""

    participants: int
    participants_attendance: float | None
    others: int
    others_attendance: float | None


def participation(pupils: Pupils, participants: set[Enrolment]) -> list[ParticipationRate]:
    """Among counted pupils: the share of each group who came to an activity this year."""
    came = _participated(pupils, participants)
    counted = pupils.counted
    groups = {
        "Targeted pupils (below 90% attendance)": counted & (pupils.attendance < TARGETED_BELOW),
        "Pupils aged 8 to 16 (years 4 to 11)": counted
        & np.array([year in AGED_8_TO_16 for year in pupils.year_group], dtype=bool),
        "All pupils": counted,
    }
    return [
        ParticipationRate(name, int(members.sum()), int((members & came).sum())) for name, members in groups.items()
    ]


def compare_attendance(pupils: Pupils, participants: set[Enrolment]) -> AttendanceComparison:
    came, counted, attendance = _participated(pupils, participants), pupils.counted, pupils.attendance

    def mean(mask: np.ndarray) -> float | None:
        return round(float(attendance[mask].mean()), 4) if mask.any() else None

    return AttendanceComparison(
        participants=int((counted & came).sum()),
        participants_attendance=mean(counted & came),
        others=int((counted & ~came).sum()),
        others_attendance=mean(counted & ~came),
    )


def _participated(pupils: Pupils, participants: set[Enrolment]) -> np.ndarray:
    keys = zip(pupils.school_urn, pupils.pupil_id, strict=True)
    return np.fromiter((key in participants for key in keys), dtype=bool, count=len(pupils.pupil_id))
