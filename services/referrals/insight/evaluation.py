"""The impact evaluation from the store: each intervention's supported pupils against matched flagged
pupils not (yet) served, and enrichment participants against matched non-participants, as
differences in differences (impact.py), overall and by school, area and characteristic group."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlmodel import Session, select

from services.referrals.casework.catalogue import catalogue
from services.referrals.casework.models import Case, Referral
from services.referrals.insight import readings
from services.referrals.insight.impact import Candidate, Estimate, Pair, difference_in_differences, match, period_rates
from services.referrals.insight.impact import window_rate as rate_between
from services.referrals.insight.store import ActivityAttendanceRow
from services.referrals.insight.weeks import week_of

WINDOW_WEEKS = 6
CAVEATS = (
    "This is observational, not a trial. Staff chose who was offered support and families chose whether to "
    "take it up, so supported pupils may differ from the comparison pupils in ways the matching cannot see.",
    "Each supported pupil is compared with a flagged pupil at the same school, in the same year group, whose "
    f"attendance in the {WINDOW_WEEKS} weeks before was within 5 points, and who was not served until "
    f"{WINDOW_WEEKS} weeks later. The estimate is how much more the supported pupils' attendance changed over "
    f"the {WINDOW_WEEKS} weeks after the start than the comparison pupils' did, with a 95% confidence interval "
    "(errors clustered by pupil).",
    "Pupils whose weeks after the start are not over yet, or who could not be matched, are left out and "
    "counted. Groups of fewer than 5 pupils on either side show no estimate.",
    "Attendance often recovers on its own after a bad spell (regression to the mean); the comparison group "
    "shares that, which is why it is there.",
)


@dataclass(frozen=True)
class ImpactRow:
    what: str  # an intervention's name, or enrichment participation
    by: str  # "all", "school", "area" or "group"
    group: str
    estimate: Estimate | None
    pairs: int


@dataclass(frozen=True)
class ImpactEvaluation:
    as_of: dt.date
    window_weeks: int
    rows: list[ImpactRow]
    supported: dict[str, int]  # per intervention: pupils whose support started
    unmatched: dict[str, int]
    unmeasured: dict[str, int]
    caveats: tuple[str, ...] = CAVEATS


def flagged(session: Session, schools: frozenset[str] | None) -> tuple[list[Candidate], dict[str, list[Candidate]]]:
    """Every flagged pupil (a case) with their first support's start, and each intervention's starts."""
    known = readings.facts(session, schools)
    cases = select(Case)
    starts = select(Referral).where(Referral.started_at.is_not(None))
    if schools is not None:
        cases, starts = cases.where(Case.school_urn.in_(schools)), starts.where(Referral.school_urn.in_(schools))
    first_alert = {}
    for case in session.exec(cases):
        key = (case.school_urn, case.pupil_id)
        day = case.first_alert_on or case.opened_at.date()
        first_alert[key] = min(first_alert.get(key, day), day)
    by_intervention: dict[str, dict[tuple, dt.date]] = {}
    first_start: dict[tuple, dt.date] = {}
    for referral in session.exec(starts):
        key, day = (referral.school_urn, referral.pupil_id), referral.started_at.date()
        mine = by_intervention.setdefault(referral.intervention, {})
        mine[key] = min(mine.get(key, day), day)
        first_start[key] = min(first_start.get(key, day), day)

    def candidate(key: tuple, started: dt.date | None) -> Candidate:
        year = known[key].year_group if key in known else None
        return Candidate(key[0], key[1], year, first_alert.get(key, dt.date.min), started)

    pool = [candidate(key, first_start.get(key)) for key in first_alert]
    supported = {code: [candidate(k, day) for k, day in starts_.items()] for code, starts_ in by_intervention.items()}
    return pool, supported


def participants(session: Session, schools: frozenset[str] | None, since: dt.date) -> dict[tuple, dt.date]:
    """Each participating enrolment's first attended activity session this academic year."""
    query = select(ActivityAttendanceRow.school_urn, ActivityAttendanceRow.pupil_id, ActivityAttendanceRow.date).where(
        ActivityAttendanceRow.attended, ActivityAttendanceRow.date >= since
    )
    if schools is not None:
        query = query.where(ActivityAttendanceRow.school_urn.in_(schools))
    first: dict[tuple, dt.date] = {}
    for school, pupil, day in session.exec(query):
        first[(school, pupil)] = min(first.get((school, pupil), day), day)
    return first


def evaluate(session: Session, schools: frozenset[str] | None, today: dt.date) -> ImpactEvaluation:
    pool, supported = flagged(session, schools)
    known = readings.facts(session, schools)
    came = participants(session, schools, readings.academic_year_start(today))
    everyone = [
        Candidate(school, pupil, facts.year_group, dt.date.min, came.get((school, pupil)))
        for (school, pupil), facts in known.items()
    ]
    studies = {catalogue().interventions[code].name if code in catalogue().interventions else code: (people, pool)
               for code, people in sorted(supported.items())}  # fmt: skip
    studies["Enrichment participation"] = (
        [c for c in everyone if c.started_on is not None],
        [c for c in everyone if c.started_on is None],
    )
    keys = list({(c.school_urn, c.pupil_id) for people, others in studies.values() for c in (*people, *others)})
    weeks = readings.pupil_weeks(session, keys)

    def weeks_of(c: Candidate):
        return weeks.get((c.school_urn, c.pupil_id), {})

    def baseline(c: Candidate, start: dt.date) -> float | None:
        first = week_of(start)
        return rate_between(weeks_of(c), first - dt.timedelta(weeks=WINDOW_WEEKS), first)

    def measure(pairs: list[Pair]):
        return period_rates(pairs, weeks_of, WINDOW_WEEKS, today)

    rows: list[ImpactRow] = []
    counted, unmatched, unmeasured = {}, {}, {}
    for what, (people, others) in studies.items():
        pairs = match(people, others, baseline, WINDOW_WEEKS)
        rates, unmeasured[what] = measure(pairs)
        counted[what], unmatched[what] = len(people), len(people) - len(pairs)
        rows.append(ImpactRow(what, "all", "All", difference_in_differences(rates), len(pairs)))
        rows += _split_rows(what, pairs, measure, known)
    return ImpactEvaluation(today, WINDOW_WEEKS, rows, counted, unmatched, unmeasured)


def _split_rows(
    what: str, pairs: list[Pair], measure: Callable, known: dict[tuple, readings.PupilFacts]
) -> list[ImpactRow]:
    """The estimate by the supported pupil's school, area and characteristic groups."""

    def facts(pair: Pair) -> readings.PupilFacts | None:
        return known.get((pair.supported.school_urn, pair.supported.pupil_id))

    splits: dict[str, Callable[[Pair], Iterable[str]]] = {
        "school": lambda p: [p.supported.school_urn],
        "area": lambda p: [(facts(p).area_code if facts(p) else None) or "unknown"],
        "group": lambda p: sorted(facts(p).groups) if facts(p) else [],
    }
    rows = []
    for by, split in splits.items():
        groups: dict[str, list[Pair]] = {}
        for pair in pairs:
            for group in split(pair):
                groups.setdefault(group, []).append(pair)
        for group, members in sorted(groups.items()):
            rows.append(ImpactRow(what, by, group, difference_in_differences(measure(members)[0]), len(members)))
    return rows
