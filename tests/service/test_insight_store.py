"""The reporting store on SQLite and PostgreSQL: weekly counts equal to counting each session's latest
code whatever order and batches the marks came in; activity registers where the latest recording wins;
and a database that already held registers counted into weeks by its migration."""

import datetime as dt
import random
from collections import Counter

from sqlalchemy import text
from sqlmodel import Session, select

from services.referrals.consumer import handle_events
from services.referrals.insight.store import ActivityAttendanceRow, ActivityRow, PupilHalfTerm, PupilWeek, SchoolWeek
from services.referrals.registers import RegisterSession
from services.referrals.schema import MIGRATIONS
from shared.codes import current_table
from shared.database import make_engine
from shared.events import SchoolCalendar, Term
from shared.migrations import upgrade
from tests.factories import SCHOOL_A, SCHOOL_B, activity, came_to, mark

MONDAY = dt.date(2025, 9, 8)
CODES = ["/", "\\", "N", "I", "M", "U", "O", "L", "X", "#", "G"]


def marks_with_corrections(seed: int) -> list:
    """Three pupils at two schools over three weeks, each session recorded up to three times."""
    chance = random.Random(seed)
    marks = []
    for pupil, school in (("p1", SCHOOL_A), ("p2", SCHOOL_A), ("p1", SCHOOL_B)):
        for offset in range(19):
            day = MONDAY + dt.timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            for half in ("AM", "PM"):
                for _ in range(chance.randint(1, 3)):
                    marks.append(
                        mark(pupil, day, half, chance.choice(CODES), hour=chance.randint(8, 17), school=school)
                    )
    return marks


def counted_from_latest_codes(marks: list) -> dict:
    """What the weeks must hold: each session's latest code (the latest recording; ties to the greater
    code, as the register keeps them), counted by week."""
    latest = {}
    for m in marks:
        key = (m.school_urn, m.pupil_id, m.date, m.session)
        if key not in latest or (m.recorded_at, m.code) > (latest[key].recorded_at, latest[key].code):
            latest[key] = m
    counts: Counter = Counter()
    for (school, pupil, day, _), m in latest.items():
        category = current_table().category(m.code)
        week = day - dt.timedelta(days=day.weekday())
        counts[(school, pupil, week, "possible")] += category.counts_as_possible
        counts[(school, pupil, week, "attended")] += category.attended
        counts[(school, pupil, week, "unauthorised")] += category == "unauthorised"
    return {key: value for key, value in counts.items() if value}


def stored_weeks(engine) -> tuple[dict, dict]:
    with Session(engine) as session:
        pupils, schools = Counter(), Counter()
        for row in session.exec(select(PupilWeek)):
            for name in ("possible", "attended", "unauthorised"):
                pupils[(row.school_urn, row.pupil_id, row.week_start, name)] += getattr(row, name)
        for row in session.exec(select(SchoolWeek)):
            for name in ("possible", "attended", "unauthorised"):
                schools[(row.school_urn, row.week_start, name)] += getattr(row, name)
    return {k: v for k, v in pupils.items() if v}, {k: v for k, v in schools.items() if v}


def test_weeks_equal_the_latest_codes_counted_whatever_the_order_and_batches(referrals_db):
    marks = marks_with_corrections(seed=3)
    shuffled = random.Random(11)
    shuffled.shuffle(marks)
    start = 0
    while start < len(marks):
        size = shuffled.randint(1, 40)
        with Session(referrals_db) as session:
            handle_events(session, marks[start : start + size] + marks[start : start + 2])  # and duplicates
            session.commit()
        start += size
    expected = counted_from_latest_codes(marks)
    pupils, schools = stored_weeks(referrals_db)
    assert pupils == expected
    by_school = Counter()
    for (school, _, week, name), value in expected.items():
        by_school[(school, week, name)] += value
    assert schools == dict(by_school)


def half_terms_stored(engine) -> dict:
    with Session(engine) as session:
        return {
            (r.school_urn, r.pupil_id, r.half_term): (r.possible, r.attended)
            for r in session.exec(select(PupilHalfTerm))
        }


def test_half_terms_follow_the_calendar_even_when_it_arrives_after_the_marks(referrals_db):
    """Three weeks either side of a half-term break on 29 September (a calendar's own, not the usual
    dates): the weeks after it move to the second half when the calendar arrives."""
    marks = marks_with_corrections(seed=4)
    with Session(referrals_db) as session:
        handle_events(session, marks)
        session.commit()
    before = half_terms_stored(referrals_db)
    assert {key[2] for key in before} == {"2025/1-autumn/1"}  # without a calendar: the usual split (November)
    terms = [Term(name="autumn", start=dt.date(2025, 9, 1), end=dt.date(2025, 12, 19),
                  half_term_start=dt.date(2025, 9, 20), half_term_end=dt.date(2025, 9, 21))]  # fmt: skip
    with Session(referrals_db) as session:
        handle_events(session, [SchoolCalendar(school_urn=SCHOOL_A, academic_year="2025/26", terms=terms)])
        session.commit()
    after = half_terms_stored(referrals_db)
    expected = Counter()
    for (school, pupil, week, name), value in counted_from_latest_codes(marks).items():
        if name != "unauthorised":
            half = "2025/1-autumn/2" if school == SCHOOL_A and week >= dt.date(2025, 9, 22) else "2025/1-autumn/1"
            expected[(school, pupil, half, name)] += value
    assert after == {
        (s, p, h): (expected[(s, p, h, "possible")], expected[(s, p, h, "attended")]) for (s, p, h, _) in expected
    }
    with Session(referrals_db) as session:  # and marks after it are counted in the right half at once
        handle_events(session, [mark("p9", dt.date(2025, 9, 29), "AM", "N")])
        session.commit()
    assert half_terms_stored(referrals_db)[(SCHOOL_A, "p9", "2025/1-autumn/2")] == (1, 0)


def test_the_latest_activity_register_wins_and_activities_are_kept(referrals_db):
    day = dt.date(2025, 10, 4)
    later = came_to("p1", day, attended=False, hour=15)
    with Session(referrals_db) as session:
        handle_events(session, [later, activity(), came_to("p1", day, hour=12), came_to("p2", day)])
        session.commit()
    with Session(referrals_db) as session:
        handle_events(session, [came_to("p1", day, hour=9)])  # an older recording, arriving last
        session.commit()
        rows = {row.pupil_id: row.attended for row in session.exec(select(ActivityAttendanceRow))}
        assert rows == {"p1": False, "p2": True}
        assert session.get(ActivityRow, "ART-1").kind == "cultural_workshop"


def test_the_migration_counts_a_register_stored_before_it_into_weeks(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'before.db'}")
    upgrade(engine, MIGRATIONS, revision="d53a3628d236")  # the schema before the reporting store
    marks = marks_with_corrections(seed=5)
    with engine.begin() as connection:
        latest = {}
        for m in sorted(marks, key=lambda m: (m.recorded_at, m.code)):
            latest[(m.school_urn, m.pupil_id, m.date, m.session)] = m.code
        for (school, pupil, day, half), code in latest.items():
            connection.execute(
                text("INSERT INTO register_session VALUES (:school, :pupil, :day, :half, :code, '', :code, '')"),
                {"school": school, "pupil": pupil, "day": day, "half": half, "code": code},
            )
    upgrade(engine, MIGRATIONS)
    assert stored_weeks(engine)[0] == counted_from_latest_codes(marks)
    assert sum(possible for possible, _ in half_terms_stored(engine).values()) == sum(
        value for key, value in counted_from_latest_codes(marks).items() if key[3] == "possible"
    )
    with Session(engine) as session:
        assert len(session.exec(select(RegisterSession)).all()) == len(latest)
    engine.dispose()
