"""Whatever order marks, duplicates and corrections arrive in, the streamed state equals a
straightforward batch computation over the latest code of every session, following the rules'
definitions (docs/alert-rules.md) rather than the engine's shortcuts."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.risk_engine import figures
from services.risk_engine.engine import process_mark
from shared.codes import Category, current_table
from shared.events import AttendanceMark
from tests.unit.engine_helpers import CALENDAR, CONTEXT, DAYS, SCHOOL, latest_codes

TABLE = current_table()
CODES = sorted(TABLE.codes)
TERM_DAYS = DAYS[:60]  # one autumn term: every rule but the decline one can fire
# Days in the same weeks when the school is shut (INSET, half-term, weekends): marks sent for them
# are not possible sessions and do not move the pupil's evaluation date.
CLOSED_DAYS = [
    *CALENDAR.closures[:3],  # INSET days
    dt.date(2025, 10, 28),  # half-term
    dt.date(2025, 9, 6),  # a Saturday
    dt.date(2025, 12, 23),  # the Christmas holiday, after every sampled school day
]


@st.composite
def arrivals(draw):
    """Recordings for random sessions (1-3 each: a first mark and corrections), with duplicates, shuffled."""
    days = draw(st.lists(st.sampled_from(TERM_DAYS + CLOSED_DAYS), min_size=1, max_size=60, unique=True))
    absent_heavy = draw(st.sampled_from([["/", "\\", "N", "I", "G", "O", "U", "#"], CODES]))
    recordings = []
    for day in days:
        for session in ("AM", "PM"):
            for version in range(draw(st.integers(1, 3))):
                recorded = dt.datetime.combine(day, dt.time(9 + version), tzinfo=dt.UTC)
                recordings.append((day, session, draw(st.sampled_from(absent_heavy)), recorded))
    duplicates = draw(st.lists(st.sampled_from(recordings), max_size=20))
    return draw(st.permutations(recordings + duplicates))


def batch_figures(codes: dict[tuple[dt.date, str], str]) -> dict:
    open_codes = {slot: code for slot, code in codes.items() if slot[0] in TERM_DAYS}
    categories = {slot: TABLE.category(code) for slot, code in open_codes.items()}
    possible = [slot for slot, c in categories.items() if c is not Category.NOT_POSSIBLE]
    absent = [slot for slot in possible if categories[slot] in (Category.AUTHORISED, Category.UNAUTHORISED)]
    rate = len(absent) / len(possible) if possible else 0.0
    band = None
    if len(possible) >= 40:
        band = next((name for name, line in BANDS if rate >= line), None)
    if not open_codes:
        return {"possible": 0, "absent": 0, "band": None, "holding": set(), "window": None}
    latest = max(day for day, _ in open_codes)
    so_far = [d for d in TERM_DAYS if d <= latest]
    window = so_far[-50:]
    # The pupil's own first ten possible sessions of the term, however late they were admitted.
    first_week = [(day, s) for day in so_far for s in ("AM", "PM") if (day, s) in possible][:10]
    unauthorised = sum(1 for (day, _), code in open_codes.items() if day in window and code in "GNOU")
    streak = 0
    for day in reversed(so_far):
        day_codes = [open_codes[(day, s)] for s in ("AM", "PM") if (day, s) in possible]
        if not day_codes:
            continue  # no possible session: neither counts nor breaks the run
        if not all(code in "GNO" for code in day_codes):
            break
        streak += 1
    holding = {"persistent_absence"} if band else set()
    holding |= {"unauthorised_10_in_10"} if unauthorised >= 10 else set()
    holding |= {"missing_education"} if streak >= 10 else set()
    return {
        "possible": len(possible),
        "absent": len(absent),
        "band": band,
        "holding": holding,
        "window": {
            "unauthorised_recent": unauthorised,
            "missing_streak_days": streak,
            "first_week": (sum(slot in absent for slot in first_week), len(first_week)),
        },
    }


BANDS = (("severe_absence", 0.5), ("chronic_absence", 0.2), ("persistent_absence", 0.1))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(arrivals())
def test_streamed_state_equals_the_batch_result(recordings):
    state, snapshot = None, None
    for day, session, code, recorded in recordings:
        event = AttendanceMark(
            pupil_id="p", school_urn=SCHOOL, date=day, session=session, code=code, recorded_at=recorded
        )
        step = process_mark(state, event, CONTEXT)
        if step.changed:
            state, snapshot = step.state, step.snapshot
    expected = batch_figures(latest_codes(recordings))
    if expected["window"] is None:  # marks only for days the school was shut
        assert state["latest"] is None and (snapshot is None or snapshot.possible == 0)
        return
    alerts = state["alerts"]
    streamed_holding = {rule for rule, s in alerts.items() if s["open"] and rule != "first_week_absence"}
    assert (snapshot.possible, snapshot.authorised + snapshot.unauthorised) == (
        expected["possible"],
        expected["absent"],
    )
    assert streamed_holding == expected["holding"]
    found = figures.compute(
        state["records"], state["counts"], SCHOOL, dt.date.fromisoformat(state["latest"]), CONTEXT.days, TABLE
    )
    assert {
        "unauthorised_recent": found.unauthorised_recent,
        "missing_streak_days": found.missing_streak_days,
        "first_week": (found.first_week_absences, found.first_week_possible),
    } == expected["window"]
    if expected["band"]:
        assert alerts["persistent_absence"]["band"] == expected["band"]  # the band follows the current rate
