"""Each school year group's attendance per half-term: the seasonal reference `attendance_decline`
compares a pupil against. Pure (no I/O); the caller keeps one `Cohorts` per worker.

The figures are sums of the pupils' own half-term counts, adjusted whenever a pupil's count
changes, so they always equal a recount over the pupils this worker holds. With one worker
that is every pupil; with several, each worker holds a share of every cohort chosen by the
hash of the pupil's key: a random sample, so its rates estimate the cohort's.

A pupil whose year group is not yet known (no pupil.context) counts towards the school as a
whole only; a year group with too few sessions to say anything falls back to the school.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from services.risk_engine.figures import Counts

WHOLE_SCHOOL = None
MIN_SESSIONS = 400  # a cohort rate needs about 20 pupils' fortnight before it means anything


@dataclass(frozen=True)
class SeasonalChange:
    """How a cohort's attendance moved from the baseline half-terms to the current one."""

    year_group: int | None  # None: the whole school stood in for the year group
    before: float
    now: float

    @property
    def fall(self) -> float:
        return self.before - self.now


class Cohorts:
    def __init__(self) -> None:
        # (school, year group or None, half-term) -> [possible, attended]
        self._rows: dict[tuple[str, int | None, str], list[int]] = defaultdict(lambda: [0, 0])
        self._counted_as: dict[str, int | None] = {}  # enrolment -> the year group its counts are under

    def move(self, enrolment: str, school: str, year_group: int | None, before: Counts | None, after: Counts) -> None:
        """Replace an enrolment's half-term counts `before` with `after`. A year group learnt since
        its counts were added moves them to it."""
        counted = enrolment in self._counted_as
        if counted and before and self._counted_as[enrolment] == year_group:
            self._add_changes(school, year_group, before, after)  # the usual case: a mark or two
            return
        if counted and before:
            self._add(school, self._counted_as[enrolment], before, -1)
        self._add(school, year_group, after, 1)
        self._counted_as[enrolment] = year_group

    def rebuild(self, enrolments: Iterable[tuple[str, str, int | None, Counts]]) -> None:
        """Start again from (enrolment, school, year group, counts) of every enrolment held."""
        self._rows.clear()
        self._counted_as.clear()
        for enrolment, school, year_group, counts in enrolments:
            self.move(enrolment, school, year_group, None, counts)

    def _add(self, school: str, year_group: int | None, counts: Counts, sign: int) -> None:
        for key, row in counts.items():
            if "|H|" in key:
                self._add_row(school, year_group, key, row[0] * sign, row[1] * sign)

    def _add_changes(self, school: str, year_group: int | None, before: Counts, after: Counts) -> None:
        for key, row in after.items():
            if "|H|" in key:
                old = before.get(key)
                if old is None:
                    self._add_row(school, year_group, key, row[0], row[1])
                elif old[0] != row[0] or old[1] != row[1]:
                    self._add_row(school, year_group, key, row[0] - old[0], row[1] - old[1])
        for key, row in before.items():
            if "|H|" in key and key not in after:  # a recount under a new calendar can drop a half-term
                self._add_row(school, year_group, key, -row[0], -row[1])

    def _add_row(self, school: str, year_group: int | None, key: str, possible: int, attended: int) -> None:
        half_term = key[key.rindex("|") + 1 :]
        for group in (year_group, WHOLE_SCHOOL) if year_group is not None else (WHOLE_SCHOOL,):
            cell = self._rows[(school, group, half_term)]
            cell[0] += possible
            cell[1] += attended

    def change(
        self, school: str, year_group: int | None, baseline: list[str], window: list[str]
    ) -> SeasonalChange | None:
        """The cohort's attendance over the `baseline` half-terms and the `window`'s: the pupil's year
        group when it has enough sessions in both, else the whole school, else None."""
        for group in (year_group, WHOLE_SCHOOL) if year_group is not None else (WHOLE_SCHOOL,):
            before = self._pooled(school, group, baseline)
            now = self._pooled(school, group, window)
            if before and now:
                return SeasonalChange(group, before, now)
        return None

    def _pooled(self, school: str, group: int | None, half_terms: list[str]) -> float | None:
        possible = attended = 0
        for half_term in half_terms:
            cell = self._rows.get((school, group, half_term))
            if cell:
                possible, attended = possible + cell[0], attended + cell[1]
        return attended / possible if possible >= MIN_SESSIONS else None
