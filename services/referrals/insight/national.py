"""The published national figures (national.toml), as versioned data."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

FIGURES = Path(__file__).with_name("national.toml")


@dataclass(frozen=True)
class NationalFigures:
    source: str
    academic_year: str
    absence_rate: float
    persistent_absence_rate: float
    severe_absence_rate: float
    phase_absence_rate: dict[str, float]
    term_absence_rate: dict[str, float]

    def absence_for(self, phase: str) -> float:
        """The phase's national absence; the all-schools figure for a phase it does not give."""
        return self.phase_absence_rate.get(phase, self.absence_rate)


@cache
def national() -> NationalFigures:
    raw = tomllib.loads(FIGURES.read_text(encoding="utf-8"))["national"]
    return NationalFigures(
        source=raw["source"],
        academic_year=raw["academic_year"],
        absence_rate=raw["absence_rate"],
        persistent_absence_rate=raw["persistent_absence_rate"],
        severe_absence_rate=raw["severe_absence_rate"],
        phase_absence_rate=dict(raw["phase_absence_rate"]),
        term_absence_rate=dict(raw["term_absence_rate"]),
    )


def phase_of(year_groups: set[int]) -> str:
    """A school's phase from the year groups on its roll."""
    if year_groups and max(year_groups) <= 6:
        return "primary"
    if year_groups and min(year_groups) >= 7:
        return "secondary"
    return "all-through"
