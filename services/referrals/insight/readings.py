"""What insight reads from the reporting store, turned into the pure core's inputs."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import String, and_, cast, false, func, or_
from sqlmodel import Session, select

from services.referrals.insight.figures import MIN_POSSIBLE, Pupils
from services.referrals.insight.store import PupilHalfTerm, PupilWeek, SchoolWeek
from services.referrals.insight.weeks import WeekCounts, week_of
from services.referrals.pupils import PupilContextRow, PupilFigures
from shared.calendar import SchoolDays, academic_year_of
from shared.calendar_store import school_days_of
from shared.database import rows_with_keys

Enrolment = tuple[str, str]  # school, pupil
SEN_GROUPS = {"K": "sen_support", "E": "ehc_plan"}
FLAG_GROUPS = ("fsm", "eal", "child_in_need", "child_protection", "looked_after")


def groups_of(characteristics: dict) -> frozenset[str]:
    """The reporting groups a pupil's characteristics put them in."""
    flags = {name for name in FLAG_GROUPS if characteristics.get(name)}
    sen = SEN_GROUPS.get(characteristics.get("sen", "none"))
    return frozenset(flags | ({sen} if sen else set()))


@dataclass(frozen=True, slots=True)
class PupilFacts:
    """What a pupil is reported by."""

    year_group: int
    area_code: str | None
    groups: frozenset[str]


def facts(session: Session, schools: frozenset[str] | None) -> dict[Enrolment, PupilFacts]:
    """Each enrolment's year group, area and groups, read as plain columns (the characteristics as their
    stored text: a borough has 25,000 pupils but only a few dozen combinations)."""
    text = cast(PupilContextRow.characteristics, String)
    query = select(PupilContextRow.school_urn, PupilContextRow.pupil_id, PupilContextRow.year_group,
                   PupilContextRow.area_code, text)  # fmt: skip
    if schools is not None:
        query = query.where(PupilContextRow.school_urn.in_(schools))
    rows = session.exec(query).all()
    decoded = _decoded({row[4] for row in rows})
    return {(school, pupil): PupilFacts(year, area, decoded[text]) for school, pupil, year, area, text in rows}


def _decoded(texts: set[str | None]) -> dict[str | None, frozenset[str]]:
    """Stored characteristics text -> reporting groups, each distinct text decoded once (a pupil with no
    context has none)."""
    return {text: groups_of(json.loads(text)) if text is not None else frozenset() for text in texts}


def year_groups(session: Session, schools: frozenset[str] | None) -> dict[str, set[int]]:
    """The year groups on each school's roll (a school's phase)."""
    query = select(PupilContextRow.school_urn, PupilContextRow.year_group).distinct()
    if schools is not None:
        query = query.where(PupilContextRow.school_urn.in_(schools))
    on_roll: dict[str, set[int]] = defaultdict(set)
    for school, year in session.exec(query):
        on_roll[school].add(year)
    return on_roll


def current_half_term(days: SchoolDays, today: dt.date) -> str | None:
    """The half-term `today` is in, or the last one before it (in a holiday)."""
    day = today
    for _ in range(60):  # back to the last school day, never past a summer holiday
        if days.is_school_day(day) and days.half_term_of(day):
            return days.half_term_of(day)
        day -= dt.timedelta(days=1)
    return None


def half_terms(session: Session, schools: set[str], today: dt.date) -> dict[str, str]:
    """Each school's current half-term."""
    found = {school: current_half_term(days, today) for school, days in school_days_of(session, schools).items()}
    return {school: key for school, key in found.items() if key is not None}


def half_term_pupils(session: Session, schools: set[str], today: dt.date) -> tuple[Pupils, dict[str, str]]:
    """This half-term at each of the schools, from the half-term counts, and which half-term that is."""
    spans = half_terms(session, schools, today)
    by_key: dict[str, list[str]] = defaultdict(list)
    for school, key in spans.items():
        by_key[key].append(school)
    within = or_(
        false(),
        *(
            and_(PupilHalfTerm.school_urn.in_(members), PupilHalfTerm.half_term == key)
            for key, members in by_key.items()
        ),
    )
    pupils = select(PupilHalfTerm.school_urn, PupilHalfTerm.pupil_id, PupilHalfTerm.possible.label("possible"),
                    (PupilHalfTerm.authorised + PupilHalfTerm.unauthorised).label("absent")).where(
        within, PupilHalfTerm.possible >= MIN_POSSIBLE
    )  # fmt: skip
    return _columns(session, pupils.subquery()), spans


def year_to_date_pupils(session: Session, schools: frozenset[str] | None, today: dt.date) -> Pupils:
    """The year so far: the figures the risk engine publishes when `today` is the latest day marked;
    for a day in the past (a report as of a date), the weekly counts to the end of that day's week."""
    if today >= latest_day(session, dt.date.max):
        pupils = select(PupilFigures.school_urn, PupilFigures.pupil_id, PupilFigures.possible.label("possible"),
                        (PupilFigures.authorised + PupilFigures.unauthorised).label("absent")).where(
            PupilFigures.possible >= MIN_POSSIBLE
        )  # fmt: skip
        if schools is not None:
            pupils = pupils.where(PupilFigures.school_urn.in_(schools))
        return _columns(session, pupils.subquery())
    possible = func.sum(PupilWeek.possible)
    pupils = (
        select(
            PupilWeek.school_urn,
            PupilWeek.pupil_id,
            possible.label("possible"),
            func.sum(PupilWeek.authorised + PupilWeek.unauthorised).label("absent"),
        )  # fmt: skip
        .where(PupilWeek.week_start.between(academic_year_start(today), week_of(today)))
        .group_by(PupilWeek.school_urn, PupilWeek.pupil_id)
        .having(possible >= MIN_POSSIBLE)
    )
    if schools is not None:
        pupils = pupils.where(PupilWeek.school_urn.in_(schools))
    return _columns(session, pupils.subquery())


def _columns(session: Session, pupils) -> Pupils:
    """Counted pupils (school_urn, pupil_id, possible, absent) with what they are reported by, as columns:
    plain rows, and the characteristics as their stored text, decoded once for each distinct combination
    (a borough has 25,000 pupils but a few dozen combinations)."""
    context = PupilContextRow
    query = (
        select(
            pupils.c.school_urn,
            pupils.c.pupil_id,
            context.year_group,
            context.area_code,
            cast(context.characteristics, String),
            pupils.c.possible,
            pupils.c.absent,
        )  # fmt: skip
        .select_from(pupils)
        .outerjoin(context, and_(context.school_urn == pupils.c.school_urn, context.pupil_id == pupils.c.pupil_id))
    )
    rows = session.connection().execute(query).all()  # Core rows: the ORM's row handling cost a sixth of a count
    if not rows:
        return Pupils([], [], [], [], [], np.zeros(0, np.int64), np.zeros(0, np.int64))
    schools, pupil_ids, years, areas, texts, possible, absent = zip(*rows, strict=True)
    decoded = _decoded(set(texts))
    return Pupils(
        school_urn=schools,
        pupil_id=pupil_ids,
        year_group=years,
        area_code=areas,
        groups=[decoded[text] for text in texts],
        possible=np.array(possible, dtype=np.int64),
        absent=np.array(absent, dtype=np.int64),
    )


def school_weeks(session: Session, schools: frozenset[str] | None, since: dt.date) -> dict[dt.date, WeekCounts]:
    """The scope's weekly counts from `since`, summed over its schools."""
    query = select(SchoolWeek.week_start, func.sum(SchoolWeek.possible), func.sum(SchoolWeek.attended)).where(
        SchoolWeek.week_start >= since
    )
    if schools is not None:
        query = query.where(SchoolWeek.school_urn.in_(schools))
    rows = session.exec(query.group_by(SchoolWeek.week_start))
    return {week: WeekCounts(possible=int(possible), attended=int(attended)) for week, possible, attended in rows}


def pupil_weeks(session: Session, keys: list[Enrolment]) -> dict[Enrolment, dict[dt.date, WeekCounts]]:
    """Some pupils' weeks, for the impact evaluation."""
    weeks: dict[Enrolment, dict[dt.date, WeekCounts]] = defaultdict(dict)
    columns = (PupilWeek.school_urn, PupilWeek.pupil_id)
    reading = (*columns, PupilWeek.week_start, PupilWeek.possible, PupilWeek.attended)
    for school, pupil, week, possible, attended in rows_with_keys(session, columns, keys, reading=reading):
        weeks[(school, pupil)][week] = WeekCounts(possible=possible, attended=attended)
    return weeks


def latest_day(session: Session, today: dt.date) -> dt.date:
    """The day figures are for when none is asked: today, or the last day with marks if that is earlier
    (a holiday; or a replayed year, as in the demo)."""
    last = session.exec(select(func.max(PupilFigures.last_date))).one()
    return min(today, last) if last is not None else today


def academic_year_start(day: dt.date) -> dt.date:
    """The Monday of the week holding 1 September of `day`'s academic year."""
    return week_of(dt.date(academic_year_of(day), 9, 1))
