"""An explainable risk score on top of the rules: each signal adds points and says why. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from services.risk_engine.figures import Figures
from shared.events import Characteristics, SenStatus


@dataclass(frozen=True)
class Score:
    points: int
    reasons: list[str]  # only what staff may read in an alert: never a characteristic


def score(f: Figures, characteristics: Characteristics | None) -> Score:
    parts: list[tuple[int, str]] = []
    if f.spells >= 4:
        parts.append((min(20, 4 * (f.spells - 2)), f"{f.spells} separate absence spells this year"))
    absent = f.year.absent
    if absent >= 6 and f.monday_friday_share >= 0.6:
        parts.append((15, f"{f.monday_friday_share:.0%} of absences fall on Mondays or Fridays"))
    if f.rising_recent >= 4 and f.rising_recent >= 2 * max(f.rising_before, 1):
        parts.append((15, f"{f.rising_recent} N/L/U marks in the last four weeks, up from {f.rising_before:.1f}"))
    if f.recent_rate >= f.baseline_rate + 0.05 and f.recent_rate >= 0.1:
        parts.append((20, f"absence {f.recent_rate:.0%} over the last four weeks against {f.baseline_rate:.0%} before"))
    # Target groups raise the priority of support (never to blame), silently: they are
    # special-category or safeguarding data, shown only on a case page to roles allowed to see them.
    context_points = min(15, 5 * len(target_groups(characteristics))) if characteristics else 0
    return Score(min(100, sum(points for points, _ in parts) + context_points), [reason for _, reason in parts])


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
