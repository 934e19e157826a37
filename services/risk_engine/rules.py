"""Alert rules (docs/alert-rules.md): which hold for a pupil's figures. Pure; every number is configuration."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import NamedTuple

from services.risk_engine import decline
from services.risk_engine.figures import Figures
from shared.calendar import SchoolDays, previous_term

# The absence-rate rules are one ladder: one alert per episode, escalated as it climbs.
ABSENCE_BANDS = ("persistent_absence", "chronic_absence", "severe_absence")


@dataclass(frozen=True)
class Thresholds:
    persistent_absence: float = 0.10
    chronic_absence: float = 0.20
    severe_absence: float = 0.50
    min_possible_sessions: int = 40
    strong_attendance: float = 0.95
    decline_points: float = 0.01
    min_term_sessions: int = 20
    first_week_sessions: int = 10
    unauthorised_sessions: int = 10
    unauthorised_window_school_days: int = 50
    missing_education_days: int = 10
    # Hysteresis, off by default so the DfE definitions stay exact: an open alert resolves only
    # once the figure is below this lower line.
    persistent_absence_resolve: float | None = None
    unauthorised_resolve_sessions: int | None = None
    decline_resolve_significance: float | None = None  # an open attendance_decline holds while p is at most this
    # attendance_decline (decline.py)
    decline_significance: float = 0.001
    decline_min_fall: float = 0.03
    decline_baseline_sessions: int = 60
    # Windows of school days, each tested at decline_significance / their number (Bonferroni), so the
    # rule as a whole keeps its level. A second, longer window (30,45) finds more decliners, later
    # (docs/evaluation.md); six weeks alone keeps the early lead.
    decline_windows_school_days: tuple[int, ...] = (30,)
    decline_window_sessions: int = 30
    decline_spell_sessions: float = 3.0
    decline_prior_absence: float = 0.07
    decline_prior_strength: float = 5.0

    def __post_init__(self) -> None:
        if not self.decline_windows_school_days or min(self.decline_windows_school_days) < 1:
            raise ValueError("decline_windows_school_days needs at least one window of 1 school day or more")
        if self.decline_resolve_significance is not None and not (
            self.decline_significance <= self.decline_resolve_significance < 1
        ):
            raise ValueError("decline_resolve_significance must be at least decline_significance and under 1")

    @cached_property  # read on every evaluation
    def decline_lines(self) -> decline.DeclineLines:
        return decline.DeclineLines(
            strong_attendance=self.strong_attendance,
            significance=self.decline_significance / len(self.decline_windows_school_days),
            min_fall=self.decline_min_fall,
            baseline_sessions=self.decline_baseline_sessions,
            window_sessions=self.decline_window_sessions,
            spell_sessions=self.decline_spell_sessions,
            prior_absence=self.decline_prior_absence,
            prior_strength=self.decline_prior_strength,
        )

    @cached_property
    def decline_holding_lines(self) -> decline.DeclineLines:
        """The lines an open attendance_decline is held by: with hysteresis, a looser level."""
        if self.decline_resolve_significance is None:
            return self.decline_lines
        share = self.decline_resolve_significance / len(self.decline_windows_school_days)
        return dataclasses.replace(self.decline_lines, significance=share)

    @cached_property  # read on every evaluation
    def absence_lines(self) -> tuple[tuple[str, float], ...]:
        """The ladder's bands with their lines, the highest first."""
        lines = (self.persistent_absence, self.chronic_absence, self.severe_absence)
        return tuple(reversed(tuple(zip(ABSENCE_BANDS, lines, strict=True))))

    @cached_property  # read on every evaluation
    def hysteresis(self) -> bool:
        """Whether any rule resolves below a lower line than it is raised at (off by default)."""
        lower = (self.persistent_absence_resolve, self.unauthorised_resolve_sessions, self.decline_resolve_significance)
        return any(line is not None for line in lower)


ROUTES: dict[str, list[str]] = {
    "persistent_absence": ["pastoral_check_in", "family_outreach"],
    "chronic_absence": ["mentoring", "team_around_the_family"],
    "severe_absence": ["la_attendance_team", "early_help"],
    "strong_attendance_decline": ["mentoring", "cultural_enrichment"],
    decline.RULE: ["mentoring", "cultural_enrichment"],
    "first_week_absence": ["pastoral_check_in"],
    "unauthorised_10_in_10": ["family_outreach"],
    "missing_education": ["la_children_missing_education_officer"],
}


class Explanation(NamedTuple):
    """What an alert says about why its rule holds: plain words, and the figures behind them."""

    reasons: list[str]
    figures: dict[str, float]


@dataclass(frozen=True)
class Finding:
    rule: str  # the alert's rule; for the ladder always persistent_absence
    band: str | None
    # Called only when an alert is sent: rules are evaluated after every mark, and nearly every
    # evaluation changes no episode; writing the words each time took two thirds of the rules' time.
    explain: Callable[[], Explanation]
    episode_key: str | None = None  # for rules whose episodes are calendar-bound (a term)


def no_reference(baseline: list[str], window: list[str]) -> None:
    """A seasonal reference that knows nothing: the decline is measured against the pupil alone."""
    return None


def evaluate(
    f: Figures,
    t: Thresholds,
    *,
    days: SchoolDays,
    seasonal: decline.SeasonalReference = no_reference,
    open_rules: frozenset[str] = frozenset(),
) -> list[Finding]:
    """The rules that hold now (`open_rules`: those with an open episode, for hysteresis). A rule
    absent from the result does not hold."""
    findings = []
    if f.year.possible >= t.min_possible_sessions:
        findings.extend(_absence_band(f, t, "persistent_absence" in open_rules))
    findings.extend(_decline(f, t))
    found = decline.assess(
        f, t.decline_holding_lines if decline.RULE in open_rules else t.decline_lines, seasonal, days
    )
    if found:
        findings.append(Finding(decline.RULE, None, lambda: _attendance_decline_words(found)))
    if f.current_term and f.first_week_possible and f.first_week_absences:
        findings.append(Finding("first_week_absence", None, lambda: _first_week_words(f), episode_key=f.current_term))
    held = "unauthorised_10_in_10" in open_rules and t.unauthorised_resolve_sessions is not None
    if f.unauthorised_recent >= (t.unauthorised_resolve_sessions if held else t.unauthorised_sessions):
        findings.append(Finding("unauthorised_10_in_10", None, lambda: _unauthorised_words(f, t)))
    if f.missing_streak_days >= t.missing_education_days:
        findings.append(Finding("missing_education", None, lambda: _missing_words(f)))
    return findings


def _attendance_decline_words(found: decline.Decline) -> Explanation:
    return Explanation(decline.reasons(found), decline.figures(found))


def _first_week_words(f: Figures) -> Explanation:
    return Explanation(
        [f"absent {f.first_week_absences} of the first {f.first_week_possible} sessions of this term"],
        {"first_week_absent_sessions": f.first_week_absences},
    )


def _unauthorised_words(f: Figures, t: Thresholds) -> Explanation:
    return Explanation(
        [
            f"{f.unauthorised_recent} unauthorised sessions in the last "
            f"{t.unauthorised_window_school_days // 5} school weeks (support comes first)"
        ],
        {"unauthorised_recent_sessions": f.unauthorised_recent},
    )


def _missing_words(f: Figures) -> Explanation:
    return Explanation(
        [f"unauthorised absence in every session for {f.missing_streak_days} consecutive school days"],
        {"consecutive_days_missing": f.missing_streak_days},
    )


def _absence_band(f: Figures, t: Thresholds, is_open: bool) -> list[Finding]:
    rate = f.year.absence_rate
    found = next(((band, line) for band, line in t.absence_lines if rate >= line), None)
    if found is None:
        resolve = t.persistent_absence_resolve
        if not (is_open and resolve is not None and rate >= resolve):
            return []  # the usual case
        return [Finding("persistent_absence", ABSENCE_BANDS[0], lambda: _held_words(f, t))]
    band, line = found
    return [Finding("persistent_absence", band, lambda: _ladder_words(f, _at_or_above(band, line)))]


def _at_or_above(band: str, line: float) -> str:
    return f"at or above the {line:.0%} {band.replace('_', ' ')} line"


def _held_words(f: Figures, t: Thresholds) -> Explanation:
    where = f"under the {t.persistent_absence:.0%} line but not yet under {t.persistent_absence_resolve:.0%}"
    return _ladder_words(f, where)


def _ladder_words(f: Figures, where: str) -> Explanation:
    rate = f.year.absence_rate
    absent = f"absent {f.year.absent} of {f.year.possible} possible sessions this year ({rate:.1%})"
    return Explanation([f"{absent}, {where}"], f.as_dict())


def _decline(f: Figures, t: Thresholds) -> list[Finding]:
    """Three consecutive terms of the calendar, each counting (>= min_term_sessions possible): the
    first above the strong line, each of the next two lower by decline_points. The term in
    progress joins the chain once it counts; a term with fewer sessions breaks it."""
    if f.current_term is None or len(f.terms) < 3:  # the usual case: no three terms yet
        return []
    least = t.min_term_sessions
    last = f.current_term if _possible(f.terms, f.current_term) >= least else previous_term(f.current_term)
    chain = _chain_ending(last)
    if any(_possible(f.terms, key) < least for key in chain):
        return []
    a0, a1, a2 = (f.term_tally(key).attendance_rate for key in chain)
    if not (a0 > t.strong_attendance and a1 <= a0 - t.decline_points and a2 <= a1 - t.decline_points):
        return []
    return [Finding("strong_attendance_decline", None, lambda: _decline_words(chain, (a0, a1, a2)))]


def _possible(terms: dict[str, list[int]], key: str) -> int:
    row = terms.get(key)
    return row[0] if row else 0


def _decline_words(chain: tuple[str, str, str], rates: tuple[float, float, float]) -> Explanation:
    a0, a1, a2 = rates
    return Explanation(
        [
            "attendance "
            + ", then ".join(f"{rate:.1%} in {_term_name(key)}" for key, rate in zip(chain, rates, strict=True))
        ],
        {"baseline_attendance": round(a0, 4), "next_attendance": round(a1, 4), "latest_attendance": round(a2, 4)},
    )


@lru_cache(maxsize=256)
def _chain_ending(term_key: str) -> tuple[str, str, str]:
    before = previous_term(term_key)
    return previous_term(before), before, term_key


def _term_name(term_key: str) -> str:
    """ "2025/2-spring" -> "spring 2026": how staff name a term."""
    year, name = term_key.split("/")
    season = name.split("-")[1]
    return f"{season} {int(year) + (season != 'autumn')}"
