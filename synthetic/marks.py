"""AM/PM register marks, day by day, as an MIS would send them.

Absence comes in spells (a renewal process: a spell starts on a present day with
probability s and lasts a geometric number of days, mean SPELL_DAYS), so the
share of days absent is s*L/(1+s*L); solving for s gives each pupil's daily start
chance. Fridays, the run-up to breaks and later terms raise the chance (far more in
a strongly seasonal school); some `N` marks are corrected to `I` the next day, as
when a parent calls in. The planted populations (borough.py) shape a pupil's marks:
no marks before a late joiner's first day, `D` on a dual-registered pupil's day at
the other school, every session unauthorised through a missing-education run, and
mostly unauthorised spells for an unauthorised pattern.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from synthetic.borough import Pupil, School
from synthetic.calendar import academic_year, school_days

SPELL_DAYS = 1.8
TERM_FACTOR = {"autumn": 0.93, "spring": 1.0, "summer": 1.06}
SEASONAL_TERM_FACTOR = {"autumn": 0.78, "spring": 1.0, "summer": 1.3}
WEEKDAY_FACTOR = (1.04, 0.95, 0.93, 0.96, 1.16)  # Friday about 20% above the midweek days
PRE_BREAK_FACTOR = 1.12
SPELL_CODES = (("I", 0.50), ("C", 0.06), ("E", 0.02), ("R", 0.02), ("T", 0.01), ("N", 0.13), ("O", 0.14), ("G", 0.12))
FSM_SPELL_CODES = (
    ("I", 0.40),
    ("C", 0.05),
    ("E", 0.04),
    ("R", 0.01),
    ("T", 0.01),
    ("N", 0.17),
    ("O", 0.19),
    ("G", 0.13),
)
UNAUTHORISED_SPELL_CODES = (("O", 0.5), ("G", 0.3), ("N", 0.2))
MISSING_CODES = ("N", "O")  # no reason given at first; then recorded as unauthorised
SINGLE_SESSION_SHARE = 0.06  # appointments (M) and arrivals after the register closed (U)
LATE_CHANCE = 0.03
CORRECTION_CHANCE = 0.35
SCHOOL_DAYS = len(school_days(*academic_year()))


@dataclass
class _Spell:
    days_left: int = 0
    code: str = ""


@dataclass
class MarkGenerator:
    pupils: list[Pupil]
    seed: int
    seasonal_schools: frozenset[str] = frozenset()
    _rng: random.Random = field(init=False)
    _spells: dict[str, _Spell] = field(init=False)
    _pending_corrections: list[dict] = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed + 1)
        self._spells = {pupil.upn: _Spell() for pupil in self.pupils}
        self._pending_corrections = []

    def day(self, date: dt.date, term: str, day_index: int, before_break: bool) -> list[dict]:
        """Marks for one school day, then yesterday's corrections (later recorded_at)."""
        rows, self._pending_corrections = self._pending_corrections, []
        factors = {seasonal: absence_factor(date, term, before_break, seasonal) for seasonal in (False, True)}
        marks = []
        for pupil in self.pupils:
            if day_index < pupil.joins_on_day:
                continue
            planted = self._planted_codes(pupil, date, day_index)
            if planted:
                marks.extend(self._rows(pupil, date, planted, correctable=False))
                continue
            factor = factors[pupil.school_urn in self.seasonal_schools]
            codes = self._codes(pupil, min(0.95, planted_propensity(pupil, day_index) * factor))
            marks.extend(self._rows(pupil, date, codes))
        return marks + rows

    def _planted_codes(self, pupil: Pupil, date: dt.date, day_index: int) -> list[str] | None:
        if pupil.missing_from is not None and 0 <= day_index - pupil.missing_from < pupil.missing_days:
            code = MISSING_CODES[day_index - pupil.missing_from >= 3]
            return [code, code]
        if date.weekday() == pupil.dual_registered_weekday:
            return ["D", "D"]
        return None

    def _codes(self, pupil: Pupil, share_absent: float) -> list[str]:
        rng, spell = self._rng, self._spells[pupil.upn]
        if spell.days_left == 0 and rng.random() < spell_start_chance(share_absent):
            spell.days_left = 1 + int(rng.expovariate(1 / (SPELL_DAYS - 1)))
            table = _spell_codes(pupil)
            spell.code = rng.choices([code for code, _ in table], [weight for _, weight in table])[0]
        if spell.days_left:
            spell.days_left -= 1
            return [spell.code, spell.code]
        if rng.random() < share_absent * SINGLE_SESSION_SHARE:
            return ["U", "\\"] if rng.random() < 0.4 else ["/", "M"]
        return ["L" if rng.random() < LATE_CHANCE else "/", "\\"]

    def _rows(self, pupil: Pupil, date: dt.date, codes: list[str], correctable: bool = True) -> list[dict]:
        rng = self._rng
        rows = []
        for session, code in zip(("AM", "PM"), codes, strict=True):
            row = _row(pupil, date, session, code, dt.time(9, 5) if session == "AM" else dt.time(13, 35))
            if code == "L":
                row["minutes_late"] = rng.randint(3, 25)
            rows.append(row)
            if correctable and code == "N" and rng.random() < CORRECTION_CHANCE:
                self._pending_corrections.append(
                    _row(pupil, date, session, "I", dt.time(10, 0), recorded_on=date + dt.timedelta(days=1))
                )
        return rows


def planted_propensity(pupil: Pupil, day_index: int, declining: bool = True) -> float:
    """The share of sessions the pupil's plan has them miss that day, before the day's factor;
    without `declining`, as if no decline had been planted."""
    base = pupil.decline.propensity(pupil.propensity, day_index) if pupil.decline and declining else pupil.propensity
    return pupil.enrichment.propensity(base, day_index) if pupil.enrichment else base


def absence_factor(date: dt.date, term: str, before_break: bool, seasonal: bool) -> float:
    """How much more (or less) than their propensity pupils miss on `date`."""
    shared = WEEKDAY_FACTOR[date.weekday()] * (PRE_BREAK_FACTOR if before_break else 1.0)
    return (SEASONAL_TERM_FACTOR if seasonal else TERM_FACTOR)[term] * shared


def spell_start_chance(share_absent: float) -> float:
    """The chance a spell starts on a present day, for a pupil who misses `share_absent` of days."""
    return share_absent / (SPELL_DAYS * (1 - share_absent))


def before_break(days: Sequence[tuple[dt.date, str]], index: int) -> bool:
    """Whether the school day at `index` is the last before a break (a weekend does not count)."""
    return index + 1 < len(days) and (days[index + 1][0] - days[index][0]).days > 3


def _spell_codes(pupil: Pupil) -> tuple[tuple[str, float], ...]:
    if pupil.unauthorised_pattern:
        return UNAUTHORISED_SPELL_CODES
    return FSM_SPELL_CODES if pupil.characteristics.fsm else SPELL_CODES


def _row(pupil: Pupil, date: dt.date, session: str, code: str, at: dt.time, recorded_on: dt.date | None = None) -> dict:
    recorded = dt.datetime.combine(recorded_on or date, at, tzinfo=dt.UTC)
    return {
        "school_urn": pupil.school_urn,
        "upn": pupil.upn,
        "date": date.isoformat(),
        "session": session,
        "code": code,
        "recorded_at": recorded.isoformat(),
    }


def school_year_marks(
    pupils: list[Pupil], seed: int, start_year: int = 2025, schools: Sequence[School] = ()
) -> Iterator[tuple[dt.date, list[dict]]]:
    """Each school day of the year with its marks (and the previous day's corrections)."""
    days = school_days(*academic_year(start_year))
    seasonal = frozenset(school.urn for school in schools if school.seasonal)
    generator = MarkGenerator(pupils, seed, seasonal_schools=seasonal)
    for index, (day, term) in enumerate(days):
        yield day, generator.day(day, term, index, before_break(days, index))
