"""Alert lifecycle: raised, escalated, resolved. Pure.

Each (pupil, rule) has episodes: one opens when its rule starts to hold (or, for a
term-bound rule, holds in a new term) and closes when it stops. The alert id comes
from (pupil, rule, episode), so replaying the same marks gives the same ids and
downstream dedupes them. An episode opened while alerts are held back (a backfill
before its cut-off) is announced only if it still holds once they are not; one that
ended before then is never announced.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.risk_engine.rules import ABSENCE_BANDS, ROUTES, Finding
from services.risk_engine.scoring import Score
from shared.events import RiskAlert, Transition, alert_id_for

# rule -> {"episode", "open", "band", "key", "announced"}: plain dicts, so tables store JSON.
AlertStates = dict[str, dict]


@dataclass(frozen=True)
class Outcome:
    states: AlertStates
    alerts: list[RiskAlert]


def _band_rank(band: str | None) -> int:
    return ABSENCE_BANDS.index(band) if band in ABSENCE_BANDS else -1


def _unchanged(states: AlertStates, holding: dict[str, Finding]) -> bool:
    """True when nothing would move: the common case, checked before copying any state."""
    for rule, finding in holding.items():
        state = states.get(rule)
        if (
            state is None
            or not state["open"]
            or not state.get("announced")
            or finding.episode_key != state.get("key")
            or _band_rank(finding.band) > _band_rank(state["band"])
        ):
            return False
    return all(rule in holding for rule, state in states.items() if state["open"])


def advance(
    pupil_id: str,
    school_urn: str,
    states: AlertStates,
    findings: list[Finding],
    snapshot: dict[str, float],
    risk: Score,
    announce: bool = True,
) -> Outcome:
    """`snapshot` is the pupil's current figures; `announce` False holds alerts back (backfill)."""
    holding = {finding.rule: finding for finding in findings}
    if _unchanged(states, holding):
        return Outcome(states, [])
    new_states = {rule: dict(state) for rule, state in states.items()}
    alerts: list[RiskAlert] = []

    def emit(rule: str, state: dict, transition: Transition, finding: Finding | None) -> None:
        if not announce:
            return
        state["announced"] = True
        reasons = finding.reasons if finding else [f"{rule.replace('_', ' ')} no longer holds"]
        alerts.append(
            RiskAlert(
                alert_id=alert_id_for(pupil_id, rule, state["episode"]),
                pupil_id=pupil_id,
                school_urn=school_urn,
                rule=rule,
                episode=state["episode"],
                transition=transition,
                band=state["band"],
                reasons=reasons + [f"risk signal: {reason}" for reason in risk.reasons],
                figures={**snapshot, **(finding.figures if finding else {}), "risk_score": risk.points},
                routes=ROUTES.get(state["band"] or rule, []),
            )
        )

    def close(rule: str, state: dict) -> None:
        state["open"] = False
        if state.get("announced"):
            emit(rule, state, Transition.RESOLVED, None)

    for rule, finding in holding.items():
        state = new_states.setdefault(rule, {"episode": 0, "open": False, "band": None, "key": None})
        if state["open"] and finding.episode_key != state.get("key"):
            close(rule, state)  # a term-bound rule holding again in a new term is a new episode
        if not state["open"]:
            state.update(episode=state["episode"] + 1, open=True, band=finding.band, key=finding.episode_key)
            state["announced"] = False
            emit(rule, state, Transition.RAISED, finding)
        elif not state.get("announced"):
            state["band"] = finding.band
            emit(rule, state, Transition.RAISED, finding)
        elif _band_rank(finding.band) > _band_rank(state["band"]):
            state["band"] = finding.band
            emit(rule, state, Transition.ESCALATED, finding)
    for rule, state in new_states.items():
        if state["open"] and rule not in holding:
            close(rule, state)
    return Outcome(new_states, alerts)
