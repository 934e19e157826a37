"""An explainable risk score (0-100) on top of the rules: each part adds points and says why. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from services.risk_engine.figures import Figures
from shared.events import Characteristics, SenStatus


@dataclass(frozen=True)
class Score:
    points: int
    reasons: list[str]  # only what staff may read in an alert: never a characteristic


@dataclass(frozen=True)
class Component:
    name: str
    points: int
    reason: str


def components(f: Figures) -> list[Component]:
    """The attendance signals that add points now, each with the words staff read. Measured against
    who becomes persistently absent (python -m synthetic evaluate, README), the year's absence so
    far carries the ranking; separate spells, rising N/L/U marks, the last four weeks against before
    and a Monday/Friday pattern added nothing or made it worse, and were dropped (the pupil page
    still shows the pattern of recent absences)."""
    if f.year.possible < 20 or not f.year.absent:
        return []
    rate = f.year.absence_rate
    return [Component("absence_so_far", min(80, round(800 * rate)), f"absent {rate:.0%} of sessions this year")]


def context_points(characteristics: Characteristics | None) -> int:
    # Target groups raise the priority of support (never to blame), silently: they are
    # special-category or safeguarding data, shown only on a case page to roles allowed to see them.
    return min(20, 5 * len(target_groups(characteristics))) if characteristics else 0


def score(f: Figures, characteristics: Characteristics | None) -> Score:
    parts = components(f)
    points = sum(part.points for part in parts) + context_points(characteristics)
    return Score(points, [part.reason for part in parts])


def target_groups(characteristics: Characteristics) -> list[str]:
    """The DfE's higher-risk groups a pupil belongs to (for the case page and prioritising, never alerts)."""
    return [
        name
        for name, present in (
            ("free school meals", characteristics.fsm),
            (
                "SEN support" if characteristics.sen is SenStatus.SEN_SUPPORT else "EHC plan",
                characteristics.sen is not SenStatus.NONE,
            ),
            ("child in need", characteristics.child_in_need),
            ("child protection", characteristics.child_protection),
            ("looked after", characteristics.looked_after),
            ("young carer", characteristics.young_carer),
        )
        if present
    ]
