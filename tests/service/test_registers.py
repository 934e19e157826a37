"""Referrals' copies of each pupil's register and figures (for the pupil page), on SQLite and
PostgreSQL: the same whatever batches and order the marks, corrections and snapshots arrive in,
schools kept apart."""

import datetime as dt
import random

from sqlmodel import Session

from services.referrals.consumer import handle_events
from services.referrals.pupils import PupilFigures
from services.referrals.registers import record_marks, register_of
from tests.factories import SCHOOL_A, SCHOOL_B, attendance, mark

MONDAY = dt.date(2025, 9, 8)
DAYS = [MONDAY + dt.timedelta(days=n) for n in range(5)]


def a_week_with_corrections() -> list:
    marks = [mark("p1", day, half, "/") for day in DAYS for half in ("AM", "PM")]
    marks += [mark("p1", DAYS[0], "AM", "N", hour=8), mark("p1", DAYS[0], "AM", "I", hour=15)]  # before and after
    marks += [mark("p1", DAYS[2], "PM", "N", hour=14), mark("p1", DAYS[2], "PM", "N", hour=14)]  # a duplicate
    return marks


def stored(engine, school: str = SCHOOL_A) -> dict:
    with Session(engine) as session:
        return register_of(session, school, "p1", DAYS[0], DAYS[-1])


def test_any_batching_and_order_gives_the_same_register(referrals_db):
    marks = a_week_with_corrections()
    shuffled = random.Random(7)
    for attempt in range(3):
        if attempt:
            shuffled.shuffle(marks)
        size = shuffled.randint(1, 5)
        for start in range(0, len(marks), size):
            with Session(referrals_db) as session:
                record_marks(session, marks[start : start + size])
                session.commit()
        register = stored(referrals_db)
        assert register[(DAYS[0], "AM")][0::2] == ["I", "N"]  # the latest code, and the first it replaced
        assert register[(DAYS[2], "PM")][0::2] == ["N", "/"]
        assert register[(DAYS[4], "PM")][0::2] == ["/", "/"]
        assert len(register) == 10


def test_a_pupils_register_at_one_school_is_not_shown_at_another(referrals_db):
    with Session(referrals_db) as session:
        record_marks(session, [mark("p1", MONDAY, "AM", "/"), mark("p1", MONDAY, "AM", "O", school=SCHOOL_B)])
        session.commit()
    assert stored(referrals_db)[(MONDAY, "AM")][0] == "/" and stored(referrals_db, SCHOOL_B)[(MONDAY, "AM")][0] == "O"


def test_a_batch_larger_than_one_query_reads_every_stored_session(referrals_db):
    pupils = [f"p{n}" for n in range(300)]  # 600 sessions: three look-ups
    with Session(referrals_db) as session:
        record_marks(session, [mark(p, MONDAY, half, "/") for p in pupils for half in ("AM", "PM")])
        session.commit()
    with Session(referrals_db) as session:
        record_marks(session, [mark(p, MONDAY, half, "N", hour=12) for p in pupils for half in ("AM", "PM")])
        session.commit()
        assert {register_of(session, SCHOOL_A, p, MONDAY, MONDAY)[(MONDAY, "PM")][0] for p in pupils} == {"N"}


def test_the_newest_figures_win_within_a_batch_and_against_what_is_stored(referrals_db):
    def snapshot(absent: int, hour: int):
        return attendance("p1", absent=absent).model_copy(
            update={"occurred_at": dt.datetime(2025, 12, 1, hour, tzinfo=dt.UTC)}
        )

    batches_and_absences_after = [
        ([snapshot(12, 10), snapshot(20, 12), snapshot(15, 11)], 20),  # the 12:00 one, whatever its place
        ([snapshot(30, 9)], 20),  # older than what is stored
        ([snapshot(25, 13)], 25),
    ]
    for batch, absent in batches_and_absences_after:
        with Session(referrals_db) as session:
            handle_events(session, batch)
            session.commit()
        with Session(referrals_db) as session:
            figures = session.get(PupilFigures, (SCHOOL_A, "p1"))
            assert figures.possible - figures.attended == absent
