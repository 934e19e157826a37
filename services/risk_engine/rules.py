"""Alert rules: which conditions hold for a pupil's figures. Pure; every number is configuration."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.risk_engine.attendance import Tally


@dataclass(frozen=True)
class Thresholds:
    persistent_absence: float = 0.10
    min_possible_sessions: int = 40


ROUTES: dict[str, list[str]] = {
    "persistent_absence": ["pastoral_check_in", "family_outreach"],
}


@dataclass(frozen=True)
class Finding:
    rule: str
    band: str | None
    reasons: list[str]
    figures: dict[str, float] = field(default_factory=dict)


def evaluate(figures: Tally, thresholds: Thresholds) -> list[Finding]:
    """The rules that hold now. A rule absent from the result does not hold."""
    if figures.possible < thresholds.min_possible_sessions:
        return []
    findings = []
    if figures.absence_rate >= thresholds.persistent_absence:
        findings.append(
            Finding(
                rule="persistent_absence",
                band="persistent",
                reasons=[
                    f"absent {figures.absent} of {figures.possible} possible sessions this year "
                    f"({figures.absence_rate:.1%}), at or above {thresholds.persistent_absence:.0%}"
                ],
                figures={
                    "possible_sessions": figures.possible,
                    "absent_sessions": figures.absent,
                    "unauthorised_sessions": figures.unauthorised,
                    "absence_rate": round(figures.absence_rate, 4),
                },
            )
        )
    return findings
