"""Alert lifecycle: raised, escalated, de-escalated, resolved. Pure.

Each (pupil, rule) has episodes: one opens when its rule starts to hold (or, for a
term-bound rule, holds in a new term) and closes when it stops. The absence ladder is one
episode whose band follows the pupil's current rate both ways. The alert id comes from
(school, pupil, rule, episode), so replaying the same marks gives the same ids and
downstream dedupes them. An episode opened while alerts are held back (a backfill before
its cut-off) is announced only if it still holds once they are not; one that ended before
then is never announced.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.risk_engine.figures import Figures
from services.risk_engine.rules import ABSENCE_BANDS, ROUTES, Finding
from services.risk_engine.scoring import Score
from services.risk_engine.state import EpisodeState, new_episode
from shared.events import RiskAlert, Transition, alert_id_for

AlertStates = dict[str, EpisodeState]


@dataclass(frozen=True)
class Subject:
    """Whose alerts these are, and the figures every alert carries."""

    pupil_id: str
    school_urn: str
    figures: Figures  # the pupil's current figures: the alert carries those of the year to date
    risk: Score
    as_of: dt.date | None = None  # the evaluation date


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
            or not state["announced"]
            or finding.episode_key != state["key"]
            or finding.band != state["band"]
        ):
            return False
    return all(rule in holding for rule, state in states.items() if state["open"])


def advance(subject: Subject, states: AlertStates, findings: list[Finding], announce: bool = True) -> Outcome:
    """`announce` False holds alerts back (backfill)."""
    holding = {finding.rule: finding for finding in findings}
    if _unchanged(states, holding):
        return Outcome(states, [])
    new_states: AlertStates = {rule: EpisodeState(**state) for rule, state in states.items()}
    alerts: list[RiskAlert] = []

    def emit(rule: str, state: EpisodeState, transition: Transition, finding: Finding | None) -> None:
        if not announce:
            return
        state["announced"] = True
        alerts.append(_alert(subject, rule, state, transition, finding))

    for rule, finding in holding.items():
        state = new_states.setdefault(rule, new_episode())
        if state["open"] and finding.episode_key != state["key"]:
            _close(rule, state, emit)  # a term-bound rule holding again in a new term is a new episode
        if not state["open"]:
            state.update(episode=state["episode"] + 1, open=True, band=finding.band, key=finding.episode_key)
            state["announced"] = False
            emit(rule, state, Transition.RAISED, finding)
        elif not state["announced"]:
            state["band"] = finding.band
            emit(rule, state, Transition.RAISED, finding)
        elif finding.band != state["band"]:
            climbed = _band_rank(finding.band) > _band_rank(state["band"])
            state["band"] = finding.band
            emit(rule, state, Transition.ESCALATED if climbed else Transition.DE_ESCALATED, finding)
    for rule, state in new_states.items():
        if state["open"] and rule not in holding:
            _close(rule, state, emit)
    return Outcome(new_states, alerts)


def _close(rule: str, state: EpisodeState, emit) -> None:
    state["open"] = False
    if state["announced"]:
        emit(rule, state, Transition.RESOLVED, None)


def _alert(subject: Subject, rule: str, state: EpisodeState, transition: Transition, finding: Finding | None):
    reasons, figures = finding.explain() if finding else ([f"{rule.replace('_', ' ')} no longer holds"], {})
    return RiskAlert(
        alert_id=alert_id_for(subject.school_urn, subject.pupil_id, rule, state["episode"]),
        pupil_id=subject.pupil_id,
        school_urn=subject.school_urn,
        rule=rule,
        episode=state["episode"],
        transition=transition,
        band=state["band"],
        reasons=reasons + [f"risk signal: {reason}" for reason in subject.risk.reasons],
        figures={**subject.figures.as_dict(), **figures, "risk_score": subject.risk.points},
        routes=ROUTES.get(state["band"] or rule, []),
        as_of=subject.as_of,
    )
