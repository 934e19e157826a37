"""Borough insight through the referrals API on a small borough counted by hand: the LA's figures,
the suppressed version, the half-term from the weekly counts, the trend, participation from activity
registers, and what a school may see (test_role_matrix.py refuses provider staff and operations)."""

import datetime as dt

import pytest

from services.referrals.insight.evaluation import ImpactEvaluation, ImpactRow, ParentMessageEvaluation, RandomisedRow
from services.referrals.insight.impact import Estimate
from services.referrals.insight.recent import Recent
from services.referrals.staff import Role
from shared.events import SchoolCalendar, Term
from tests.factories import (
    SCHOOL_A,
    SCHOOL_B,
    activity,
    attendance,
    came_to,
    context,
    mark,
    randomised_round,
    round_entry,
)
from tests.service.referrals_support import consume, headers_for

AS_OF = dt.date(2025, 12, 1)  # the figures' last day: in the second autumn half-term
HALF_TERM_WEEKS = [dt.date(2025, 11, 3) + dt.timedelta(days=n) for n in range(12) if n % 7 < 5]
# (pupil, school, year, absent of 100 possible this year, characteristics)
PUPILS = [
    ("a1", SCHOOL_A, 8, 0, {}),
    ("a2", SCHOOL_A, 8, 5, {}),
    ("a3", SCHOOL_A, 8, 10, {"fsm": True}),  # persistent (10% is the line)
    ("a4", SCHOOL_A, 8, 12, {}),  # persistent
    ("a5", SCHOOL_A, 9, 55, {"fsm": True}),  # severe
    ("a6", SCHOOL_A, 9, 3, {}),
    ("b1", SCHOOL_B, 7, 20, {}),  # persistent
    ("b2", SCHOOL_B, 7, 0, {}),
    ("b3", SCHOOL_B, 7, 1, {}),
]


def calendar(school: str) -> SchoolCalendar:
    return SchoolCalendar(
        school_urn=school,
        academic_year="2025/26",
        terms=[
            Term(
                name="autumn",
                start=dt.date(2025, 9, 3),
                end=dt.date(2025, 12, 19),
                half_term_start=dt.date(2025, 10, 27),
                half_term_end=dt.date(2025, 10, 31),
            ),  # fmt: skip
            Term(name="spring", start=dt.date(2026, 1, 5), end=dt.date(2026, 3, 27)),
            Term(name="summer", start=dt.date(2026, 4, 13), end=dt.date(2026, 7, 21)),
        ],
    )


@pytest.fixture
def borough(referrals):
    _, engine = referrals
    events = [calendar(SCHOOL_A), calendar(SCHOOL_B), activity()]
    for pupil, school, year, absent, flags in PUPILS:
        events += [context(pupil, school, year_group=year, **flags), attendance(pupil, school, absent=absent)]
    # This half-term: a1 misses 4 of 20 sessions (persistent this half-term), a2 none; a week before
    # the October break that must not count in it.
    for day in HALF_TERM_WEEKS:
        for half in ("AM", "PM"):
            events.append(mark("a1", day, half, "I" if day.weekday() == 0 else "/"))
            events.append(mark("a2", day, half, "/"))
    events += [mark("a2", dt.date(2025, 10, 20), half, "N") for half in ("AM", "PM")]
    events += [came_to("a4", dt.date(2025, 10, 4)), came_to("a5", dt.date(2025, 10, 4), attended=False)]
    events += [came_to("b2", dt.date(2025, 10, 4), school=SCHOOL_B)]
    consume(engine, *events)
    return referrals


def get(referrals, role, path, school=None, **params):
    client, _ = referrals
    params.setdefault("as_of", AS_OF.isoformat())
    return client.get(path, params=params, headers=headers_for(referrals, role, school))


def by_group(period: dict, dimension: str) -> dict:
    return {row["group"]: row for row in period["breakdowns"][dimension]["rows"]}


def test_the_la_sees_the_borough_counted_as_defined(borough):
    view = get(borough, Role.LA_ATTENDANCE_OFFICER, "/v1/insight/borough").json()
    year = view["year_to_date"]
    assert (year["total"]["pupils"], year["total"]["persistent"], year["total"]["severe"]) == (9, 4, 1)
    assert year["total"]["attendance_rate"] == pytest.approx(1 - 106 / 900, abs=1e-4)
    schools = by_group(year, "school")
    assert (schools[SCHOOL_A]["persistent"], schools[SCHOOL_B]["persistent"]) == (3, 1)
    assert by_group(year, "group")["fsm"]["pupils"] == 2
    assert by_group(year, "year_group")["Year 9"]["severe"] == 1
    half = view["half_term"]
    assert (half["total"]["pupils"], half["total"]["persistent"]) == (2, 1)
    assert half["total"]["attendance_rate"] == pytest.approx(36 / 40)
    assert view["half_terms"][SCHOOL_A] == "2025/1-autumn/2"
    benchmark = {b["school_urn"]: b for b in view["benchmarks"]}
    assert benchmark[SCHOOL_B]["phase"] == "secondary" and benchmark[SCHOOL_B]["national_absence_rate"] == 0.089
    assert "2023/24" in view["national"]["source"]


def test_published_figures_suppress_small_numbers_and_what_would_give_them_back(borough):
    view = get(borough, Role.LA_ATTENDANCE_OFFICER, "/v1/insight/borough", suppressed="true").json()
    schools = by_group(view["year_to_date"], "school")
    assert set(schools[SCHOOL_B].values()) == {SCHOOL_B, "c"}  # three pupils: nothing shown
    assert schools[SCHOOL_A]["pupils"] == "c"  # else the total less it gives school B's three back
    assert schools[SCHOOL_A]["persistent"] == "c" and schools[SCHOOL_A]["persistent_rate"] == "c"
    assert view["year_to_date"]["total"]["pupils"] == 9


def test_a_school_sees_only_its_own_school_and_always_suppressed(borough):
    view = get(borough, Role.SCHOOL_STAFF, "/v1/insight/borough", SCHOOL_A).json()
    assert view["schools"] == [SCHOOL_A] and view["suppressed"] is True
    assert set(by_group(view["year_to_date"], "school")) == {SCHOOL_A}
    assert view["year_to_date"]["total"]["persistent"] == "c"
    refused = get(borough, Role.SCHOOL_STAFF, "/v1/insight/borough", SCHOOL_A, school_urn=SCHOOL_B)
    assert refused.status_code == 403 and SCHOOL_B in refused.json()["detail"]


def test_the_trend_is_weekly_this_year_against_last(borough):
    trend = get(borough, Role.LA_ATTENDANCE_OFFICER, "/v1/insight/trends").json()
    weeks = {point["week_start"]: point for point in trend["points"]}
    assert weeks["2025-11-03"]["this_year"] == pytest.approx(18 / 20)
    assert weeks["2025-11-10"]["this_year"] == pytest.approx(18 / 20)
    assert weeks["2025-10-20"]["this_year"] == 0.0 and weeks["2025-11-03"]["last_year"] is None
    assert trend["points"][0]["week_start"] == "2025-09-01"
    assert trend["phase"] == "secondary" and trend["national_attendance"] == pytest.approx(1 - 0.089)


def test_participation_comes_from_the_activity_registers(borough):
    kpis = get(borough, Role.LA_ATTENDANCE_OFFICER, "/v1/insight/kpis").json()
    rates = {rate["group"]: rate for rate in kpis["participation"]}
    # Below 90% this year: a4 (came), a5 (booked, did not come), b1.
    assert (rates["Targeted pupils (below 90% attendance)"]["pupils"],
            rates["Targeted pupils (below 90% attendance)"]["participants"]) == (3, 1)  # fmt: skip
    assert (rates["All pupils"]["pupils"], rates["All pupils"]["participants"]) == (9, 2)
    comparison = kpis["attendance_of_participants"]
    assert comparison["participants_attendance"] == pytest.approx((0.88 + 1.0) / 2)
    assert kpis["supported_in_time"]["target_share"] == 0.75


def test_the_impact_evaluation_says_what_it_cannot_estimate_and_why(borough):
    impact = get(borough, Role.LA_ATTENDANCE_OFFICER, "/v1/insight/impact").json()
    enrichment = [row for row in impact["rows"] if row["what"] == "Enrichment participation" and row["by"] == "all"]
    assert enrichment[0]["estimate"] is None  # two participants: too few to estimate
    assert impact["supported"]["Enrichment participation"] == 2
    assert any("observational" in caveat for caveat in impact["caveats"])


def test_without_a_day_the_figures_are_for_the_last_day_marked_when_that_is_before_today(borough):
    client, _ = borough
    view = client.get("/v1/insight/borough", headers=headers_for(borough, Role.LA_ATTENDANCE_OFFICER)).json()
    assert view["as_of"] == "2025-12-01"  # the factories' figures' last day; today is later


def test_a_day_before_the_last_one_marked_counts_the_year_from_the_weekly_counts(borough):
    view = get(borough, Role.LA_ATTENDANCE_OFFICER, "/v1/insight/borough", as_of="2025-11-14").json()
    year = view["year_to_date"]["total"]
    # Only a1 and a2 have marks: a1 missed 4 of 20 sessions, a2 2 of 22 (the N marks in October).
    assert (year["pupils"], year["persistent"]) == (2, 1)
    assert year["attendance_rate"] == pytest.approx(1 - 6 / 42, abs=1e-4)


def test_a_view_is_reused_for_a_minute_and_says_when_it_was_counted(borough):
    client, engine = borough
    first = get(borough, Role.LA_ATTENDANCE_OFFICER, "/v1/insight/borough").json()
    consume(engine, attendance("b4", SCHOOL_B, absent=30), context("b4", SCHOOL_B, year_group=7))
    again = get(borough, Role.LA_ATTENDANCE_OFFICER, "/v1/insight/borough").json()
    assert again["counted_at"] == first["counted_at"] and again["year_to_date"]["total"]["pupils"] == 9
    client.app.state.insight_views = Recent(0)  # as after the minute
    fresh = get(borough, Role.LA_ATTENDANCE_OFFICER, "/v1/insight/borough").json()
    assert fresh["year_to_date"]["total"]["pupils"] == 10


def test_a_school_sees_no_impact_row_of_fewer_than_five_pairs(borough):
    client, _ = borough
    estimate = Estimate(0.02, -0.01, 0.05, 0.2, 6, 6, 0.9, 0.93, 0.9, 0.91)
    rows = [ImpactRow("Mentoring", "all", "All", estimate, 6), ImpactRow("Mentoring", "group", "looked_after", None, 2)]
    messages = ParentMessageEvaluation(1, 9, 0, [RandomisedRow("all", "All", estimate, 9),
                                                 RandomisedRow("school", SCHOOL_A, None, 3)])  # fmt: skip
    evaluation = ImpactEvaluation(AS_OF, 6, rows, {"Mentoring": 6}, {"Mentoring": 0}, {"Mentoring": 0}, messages)
    for schools in (frozenset({SCHOOL_A}), None):
        client.app.state.insight_views.get(("impact", schools, AS_OF), lambda: evaluation)
    school = get(borough, Role.SCHOOL_STAFF, "/v1/insight/impact", SCHOOL_A).json()
    assert [(row["by"], row["pairs"]) for row in school["rows"]] == [("all", 6)]
    assert [(row["by"], row["pupils"]) for row in school["parent_messages"]["rows"]] == [("all", 9)]
    la = get(borough, Role.LA_ATTENDANCE_OFFICER, "/v1/insight/impact").json()
    assert [(row["by"], row["pairs"]) for row in la["rows"]] == [("all", 6), ("group", 2)]
    assert [(row["by"], row["pupils"]) for row in la["parent_messages"]["rows"]] == [("all", 9), ("school", 3)]


ROUND = dt.date(2025, 11, 3)  # the second autumn half-term's first day


def test_a_randomised_round_of_parent_messages_is_evaluated_offered_against_held_back(referrals):
    """Twenty flagged pupils at one school, eight held back at random: the offered pupils' attendance rises
    from 80% to 90% after the round, the held-back pupils' stays at 80%; a round that held nobody back
    (not randomised) is not counted."""
    _, engine = referrals
    events = [calendar(SCHOOL_A), *randomised_round(ROUND)]
    events.append(round_entry("other", ROUND, school=SCHOOL_B, share=0.0))
    consume(engine, *events)

    view = get(referrals, Role.LA_ATTENDANCE_OFFICER, "/v1/insight/impact", as_of="2026-01-16").json()
    messages = view["parent_messages"]
    assert (messages["rounds"], messages["entries"], messages["unmeasured"]) == (1, 20, 0)
    overall = messages["rows"][0]["estimate"]
    assert (overall["supported"], overall["comparison"]) == (12, 8)
    assert overall["comparison_after"] == pytest.approx(overall["comparison_before"], abs=0.02)
    assert overall["supported_after"] - overall["supported_before"] == pytest.approx(0.1, abs=0.02)
    assert overall["low"] < overall["effect"] < overall["high"] and overall["low"] > 0.05
