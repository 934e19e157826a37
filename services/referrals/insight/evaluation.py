"""The impact evaluation from the store: each intervention's supported pupils against matched flagged
pupils not (yet) served, and enrichment participants against matched non-participants, as
differences in differences (impact.py), overall and by school, area and characteristic group; and,
where schools held back a share of flagged pupils at random, pupils offered a message to their
parents against those held back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlmodel import Session, select

from services.referrals.casework.catalogue import catalogue
from services.referrals.casework.models import Case, Referral
from services.referrals.insight import readings
from services.referrals.insight.impact import (
    Candidate,
    Estimate,
    Pair,
    RoundEntry,
    difference_in_differences,
    match,
    period_rates,
    round_rates,
)
from services.referrals.insight.impact import window_rate as rate_between
from services.referrals.insight.recent import Recent
from services.referrals.insight.store import ActivityAttendanceRow, ParentRoundRow
from services.referrals.insight.weeks import week_of
from shared.database import as_utc
from shared.events import ParentMessageArm

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
    "Attendance often recovers on its own after a bad spell (regression to the mean). The comparison group is "
    "there to share that recovery, but where the pupils who were supported usually miss more school than "
    "pupils with the same recent attendance, it does not share all of it, and the estimate leans against the "
    "support: on the synthetic demo borough it understates a planted effect by about 3 points.",
)


PARENT_MESSAGE_CAVEATS = (
    "This is a randomised comparison: at each round, a seeded draw held back a share of the flagged "
    "pupils before anything about their families was looked at, so the two groups differ only by chance.",
    "Every pupil offered a message is counted, including families who had opted out or could not be reached "
    "(intention to treat): leaving them out would compare unlike groups. It measures offering the message, "
    "which is a little less than the effect on the families who got it.",
    f"Attendance in the {WINDOW_WEEKS} weeks from the round's first day, against the school year before it, "
    "with a 95% confidence interval (errors clustered by pupil). Only rounds whose weeks after are over count.",
)


@dataclass(frozen=True)
class RandomisedRow:
    by: str  # "all" or "school"
    group: str
    estimate: Estimate | None  # "supported" are the pupils offered a message; "comparison" those held back
    pupils: int


@dataclass(frozen=True)
class ParentMessageEvaluation:
    rounds: int  # randomised rounds (a school's half-term) with pupils in them
    entries: int
    unmeasured: int
    rows: list[RandomisedRow]
    caveats: tuple[str, ...] = PARENT_MESSAGE_CAVEATS


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
    parent_messages: ParentMessageEvaluation
    caveats: tuple[str, ...] = CAVEATS


Enrolment = tuple[str, str]


def flagged(
    session: Session, schools: frozenset[str] | None, today: dt.date, known: dict[Enrolment, readings.PupilFacts]
) -> tuple[list[Candidate], dict[str, list[Candidate]]]:
    """Every pupil flagged by `today` (a case) with their first support's start, and each intervention's
    starts by `today`."""
    cases = select(Case.school_urn, Case.pupil_id, Case.first_alert_on, Case.opened_at)
    starts = select(Referral.school_urn, Referral.pupil_id, Referral.intervention, Referral.started_at).where(
        Referral.started_at.is_not(None)
    )
    if schools is not None:
        cases, starts = cases.where(Case.school_urn.in_(schools)), starts.where(Referral.school_urn.in_(schools))
    first_alert: dict[Enrolment, dt.date] = {}
    for school, pupil, first_alert_on, opened_at in session.exec(cases):
        day = first_alert_on or as_utc(opened_at).date()
        if day <= today:
            first_alert[(school, pupil)] = min(first_alert.get((school, pupil), day), day)
    by_intervention: dict[str, dict[Enrolment, dt.date]] = {}
    first_start: dict[Enrolment, dt.date] = {}
    for school, pupil, intervention, started_at in session.exec(starts):
        key, day = (school, pupil), as_utc(started_at).date()
        if day <= today:
            mine = by_intervention.setdefault(intervention, {})
            mine[key] = min(mine.get(key, day), day)
            first_start[key] = min(first_start.get(key, day), day)

    def candidate(key: Enrolment, started: dt.date | None) -> Candidate:
        facts = known.get(key)
        return Candidate(key[0], key[1], facts.year_group if facts else None, first_alert.get(key, dt.date.min),
                         started, profile_of(facts))  # fmt: skip

    pool = [candidate(key, first_start.get(key)) for key in first_alert]
    supported = {code: [candidate(k, day) for k, day in starts_.items()] for code, starts_ in by_intervention.items()}
    return pool, supported


def participants(session: Session, schools: frozenset[str] | None, since: dt.date, until: dt.date) -> dict:
    """Each participating enrolment's first attended activity session from `since` to `until`."""
    query = select(ActivityAttendanceRow.school_urn, ActivityAttendanceRow.pupil_id, ActivityAttendanceRow.date).where(
        ActivityAttendanceRow.attended, ActivityAttendanceRow.date.between(since, until)
    )
    if schools is not None:
        query = query.where(ActivityAttendanceRow.school_urn.in_(schools))
    first: dict[Enrolment, dt.date] = {}
    for school, pupil, day in session.exec(query):
        first[(school, pupil)] = min(first.get((school, pupil), day), day)
    return first


PROFILE = frozenset({"fsm", "sen_support", "ehc_plan"})


def profile_of(facts: readings.PupilFacts | None) -> frozenset[str]:
    """The groups a comparison pupil must share: free school meals and SEN double a pupil's usual absence
    nationally, and recent attendance alone does not tell a usually-absent pupil from a usually-present
    one having a bad spell."""
    return facts.groups & PROFILE if facts else frozenset()


Study = tuple[list[Candidate], list[Candidate]]  # who was supported, and whom they may be compared with


def studies(session: Session, schools: frozenset[str] | None, today: dt.date, known: dict) -> dict[str, Study]:
    """Each intervention's supported pupils against every flagged pupil; enrichment participants against
    every pupil who has not taken part."""
    pool, supported = flagged(session, schools, today, known)
    names = catalogue().interventions
    found = {names[code].name if code in names else code: (people, pool) for code, people in sorted(supported.items())}
    came = participants(session, schools, readings.academic_year_start(today), today)
    everyone = [
        Candidate(s, p, facts.year_group, dt.date.min, came.get((s, p)), profile_of(facts))
        for (s, p), facts in known.items()
    ]
    found["Enrichment participation"] = (
        [c for c in everyone if c.started_on is not None],
        [c for c in everyone if c.started_on is None],
    )
    return found


def before_from(start: dt.date) -> dt.date:
    """ "Before" is the school year up to the start, and at least the six weeks before it: a pupil's long
    run is what a short bad spell regresses to, so both the match and the change are measured from it."""
    return min(readings.academic_year_start(start), start - dt.timedelta(weeks=WINDOW_WEEKS))


def recent_evaluation(
    recent: Recent, session: Session, schools: frozenset[str] | None, today: dt.date
) -> ImpactEvaluation:
    """The evaluation, run again only when the last one for the same question is not recent."""
    return recent.get(("impact", schools, today), lambda: evaluate(session, schools, today))


def randomised_entries(session: Session, schools: frozenset[str] | None, today: dt.date) -> list[RoundEntry]:
    """Every pupil in a round that held back a share at random, up to `today`."""
    query = select(ParentRoundRow).where(ParentRoundRow.hold_back_share > 0, ParentRoundRow.half_term_start <= today)
    if schools is not None:
        query = query.where(ParentRoundRow.school_urn.in_(schools))
    return [
        RoundEntry(row.school_urn, row.pupil_id, row.half_term_start, offered=row.arm != ParentMessageArm.HELD_BACK)
        for row in session.exec(query)
    ]


def evaluate(session: Session, schools: frozenset[str] | None, today: dt.date) -> ImpactEvaluation:
    known = readings.facts(session, schools)
    found = studies(session, schools, today, known)
    entries = randomised_entries(session, schools, today)
    keys = {(c.school_urn, c.pupil_id) for people, others in found.values() for c in (*people, *others)}
    weeks = readings.pupil_weeks(session, list(keys | {(e.school_urn, e.pupil_id) for e in entries}))

    def weeks_of(c: Candidate | RoundEntry):
        return weeks.get((c.school_urn, c.pupil_id), {})

    def baseline(c: Candidate, start: dt.date) -> float | None:
        return rate_between(weeks_of(c), before_from(week_of(start)), week_of(start))

    def measure(pairs: list[Pair]):
        return period_rates(pairs, weeks_of, window_weeks=WINDOW_WEEKS, today=today, since=before_from)

    rows: list[ImpactRow] = []
    counted, unmatched, unmeasured = {}, {}, {}
    for what, (people, others) in found.items():
        pairs = match(people, others, baseline, WINDOW_WEEKS)
        rates, unmeasured[what] = measure(pairs)
        counted[what], unmatched[what] = len(people), len(people) - len(pairs)
        rows.append(ImpactRow(what, "all", "All", difference_in_differences(rates), len(pairs)))
        rows += _split_rows(what, pairs, measure, known)
    messages = parent_message_evaluation(entries, weeks_of, today)
    return ImpactEvaluation(today, WINDOW_WEEKS, rows, counted, unmatched, unmeasured, messages)


def parent_message_evaluation(
    entries: list[RoundEntry], weeks_of: Callable[[RoundEntry], dict], today: dt.date
) -> ParentMessageEvaluation:
    """Offered against held back, for all the randomised rounds and school by school (each school
    randomised its own pupils)."""

    def measure(some: list[RoundEntry]):
        return round_rates(some, weeks_of, window_weeks=WINDOW_WEEKS, today=today, since=before_from)

    rates, unmeasured = measure(entries)
    rows = [RandomisedRow("all", "All", difference_in_differences(rates), len({r.pupil for r in rates}))]
    by_school: dict[str, list[RoundEntry]] = {}
    for entry in entries:
        by_school.setdefault(entry.school_urn, []).append(entry)
    for school, members in sorted(by_school.items()):
        school_rates = measure(members)[0]
        rows.append(RandomisedRow("school", school, difference_in_differences(school_rates),
                                  len({r.pupil for r in school_rates})))  # fmt: skip
    rounds = len({(e.school_urn, e.round_start) for e in entries})
    return ParentMessageEvaluation(rounds, len(entries), unmeasured, rows)


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
