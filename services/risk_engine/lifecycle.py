"""Alert lifecycle: turn the rules that hold now into raised/resolved transitions. Pure.

Each (pupil, rule) has episodes; an episode opens when its rule starts to hold and
closes when it stops. The alert id is derived from (pupil, rule, episode), so
replaying the same marks yields the same ids and downstream dedupes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.risk_engine.rules import ROUTES, Finding
from shared.events import RiskAlert, Transition, alert_id_for

# rule -> {"episode": int, "open": bool, "band": str | None}; plain dicts so tables store JSON.
AlertStates = dict[str, dict]


@dataclass(frozen=True)
class Outcome:
    states: AlertStates
    alerts: list[RiskAlert]


def advance(
    pupil_id: str, school_urn: str, states: AlertStates, findings: list[Finding], snapshot: dict[str, float]
) -> Outcome:
    """`snapshot` is the pupil's current figures, carried on resolutions."""
    new_states = {rule: dict(state) for rule, state in states.items()}
    alerts: list[RiskAlert] = []
    holding = {finding.rule: finding for finding in findings}

    def emit(rule: str, state: dict, transition: Transition, finding: Finding | None, reasons: list[str]) -> None:
        alerts.append(
            RiskAlert(
                alert_id=alert_id_for(pupil_id, rule, state["episode"]),
                pupil_id=pupil_id,
                school_urn=school_urn,
                rule=rule,
                episode=state["episode"],
                transition=transition,
                band=state["band"],
                reasons=reasons,
                figures=finding.figures if finding else snapshot,
                routes=ROUTES.get(rule, []),
            )
        )

    for rule, finding in holding.items():
        state = new_states.setdefault(rule, {"episode": 0, "open": False, "band": None})
        if not state["open"]:
            state.update(episode=state["episode"] + 1, open=True, band=finding.band)
            emit(rule, state, Transition.RAISED, finding, finding.reasons)
    for rule, state in new_states.items():
        if state["open"] and rule not in holding:
            state["open"] = False
            emit(rule, state, Transition.RESOLVED, None, [f"{rule.replace('_', ' ')} no longer holds"])
    return Outcome(new_states, alerts)
