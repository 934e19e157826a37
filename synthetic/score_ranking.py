"""Does the risk score earn its place? How well the score on a day ranks the pupils (below 10% then)
who are persistently absent by the end of the next half-term, as an AUC with a bootstrap interval,
beside the same score with each part left out and the year's absence rate alone."""

from __future__ import annotations

from dataclasses import dataclass

from shared.statistics import Estimate, auc_with_interval
from synthetic.evaluation import ScoredPupil

COMPONENTS = ("absence_so_far",)


@dataclass(frozen=True)
class Ranking:
    variant: str
    auc: Estimate


def _score(pupil: ScoredPupil, leave_out: str | None = None) -> int:
    points = sum(value for name, value in pupil.components.items() if name != leave_out)
    if leave_out != "target_groups":
        points += pupil.context_points
    return points


def rankings(scored: list[ScoredPupil]) -> list[Ranking]:
    outcomes = [pupil.became_pa for pupil in scored]
    variants = [("the risk score", lambda p: _score(p))]
    variants += [(f"without {name}", lambda p, name=name: _score(p, name)) for name in (*COMPONENTS, "target_groups")]
    variants += [("year's absence rate alone", lambda p: p.absence_rate)]
    variants += [("absence rate, then the score to break ties", lambda p: p.absence_rate + _score(p) / 10_000)]
    return [Ranking(name, auc_with_interval([score(p) for p in scored], outcomes)) for name, score in variants]


def markdown_table(found: list[Ranking], pupils: int, became: int) -> str:
    lines = [
        f"{pupils} pupils below 10% absence on the scoring day; {became} persistently absent by the end of the "
        "next half-term.",
        "",
        "| Ranked by | AUC | 95% interval |",
        "|---|---|---|",
    ]
    for ranking in found:
        lines.append(f"| {ranking.variant} | {ranking.auc.value:.3f} | {ranking.auc.low:.3f}-{ranking.auc.high:.3f} |")
    return "\n".join(lines)
