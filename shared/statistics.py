"""Evaluation statistics. Pure: numbers in, numbers out."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float  # the confidence interval's ends
    high: float


def auc(scores: Sequence[float], outcomes: Sequence[bool]) -> float:
    """The chance a random positive scores above a random negative (ties count half): the
    Mann-Whitney U over the product of the group sizes."""
    ranks = rankdata(np.asarray(scores, dtype=float))
    positive = np.asarray(outcomes, dtype=bool)
    positives, negatives = int(positive.sum()), int((~positive).sum())
    if not positives or not negatives:
        raise ValueError("AUC needs at least one positive and one negative")
    u = ranks[positive].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def auc_with_interval(
    scores: Sequence[float], outcomes: Sequence[bool], resamples: int = 400, seed: int = 0, level: float = 0.95
) -> Estimate:
    """AUC with a percentile bootstrap interval over pupils."""
    values, labels = np.asarray(scores, dtype=float), np.asarray(outcomes, dtype=bool)
    rng = np.random.default_rng(seed)
    found = []
    for _ in range(resamples):
        pick = rng.integers(0, len(values), len(values))
        if labels[pick].any() and not labels[pick].all():
            found.append(auc(values[pick], labels[pick]))
    tail = (1 - level) / 2
    low, high = np.quantile(found, [tail, 1 - tail])
    return Estimate(auc(values, labels), float(low), float(high))


def median_or_none(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def tenth_percentile_or_none(values: Sequence[float]) -> float | None:
    return statistics.quantiles(values, n=10)[0] if len(values) >= 2 else None
