"""The synthetic borough matches England 2023/24 (docs/synthetic-borough.md) within stated tolerances."""

import collections
import dataclasses
import datetime as dt
import itertools

import pytest

from services.risk_engine.attendance import tally
from shared.codes import current_table
from synthetic.activities import activity_rows, attendance_rows
from synthetic.borough import AFTER_TRANSITION, GRADUAL, SEASONAL_SCHOOL, STEP, make_borough
from synthetic.calendar import academic_year, school_days
from synthetic.feed import DEMO_CALIBRATION
from synthetic.marks import school_year_marks

TABLE = current_table()


@pytest.fixture(scope="module")
def year():
    schools, pupils = make_borough(seed=11, schools=8, pupils_per_school=300)
    final: dict[str, dict] = collections.defaultdict(dict)
    for _, rows in school_year_marks(pupils, seed=11, schools=schools):
        for row in rows:  # later rows are corrections and overwrite
            final[row["upn"]][(row["date"], row["session"])] = row["code"]
    return {pupil.upn: pupil for pupil in pupils}, final


def absence_of(codes):
    figures = tally(list(codes), TABLE)
    return figures.absent, figures.possible


def test_overall_pa_and_sa_rates_are_near_england(year):
    _, final = year
    rates = [tally(list(marks.values()), TABLE).absence_rate for marks in final.values()]
    absent, possible = map(sum, zip(*(absence_of(m.values()) for m in final.values()), strict=True))
    assert absent / possible == pytest.approx(0.071, abs=0.01)
    assert sum(rate >= 0.1 for rate in rates) / len(rates) == pytest.approx(0.20, abs=0.04)
    assert sum(rate >= 0.5 for rate in rates) / len(rates) == pytest.approx(0.023, abs=0.015)


def test_fsm_pupils_miss_about_twice_as_much(year):
    pupils, final = year
    groups = collections.defaultdict(lambda: [0, 0])
    for upn, marks in final.items():
        absent, possible = absence_of(marks.values())
        group = groups[pupils[upn].characteristics.fsm]
        group[0] += absent
        group[1] += possible
    ratio = (groups[True][0] / groups[True][1]) / (groups[False][0] / groups[False][1])
    assert 1.6 <= ratio <= 2.5


def test_fridays_are_worse_than_midweek_and_summer_worse_than_autumn(year):
    _, final = year
    by_weekday = collections.defaultdict(list)
    by_month = collections.defaultdict(list)
    for marks in final.values():
        for (date, _), code in marks.items():
            day = dt.date.fromisoformat(date)
            by_weekday[day.weekday()].append(code)
            by_month[day.month].append(code)

    def rate(codes):
        absent, possible = absence_of(codes)
        return absent / possible

    midweek = rate(by_weekday[1] + by_weekday[2])
    assert rate(by_weekday[4]) > 1.1 * midweek
    autumn = rate(list(itertools.chain(*(by_month[m] for m in (9, 10, 11, 12)))))
    summer = rate(list(itertools.chain(*(by_month[m] for m in (4, 5, 6, 7)))))
    assert summer > autumn


def test_decliners_attend_strongly_until_their_onset_and_then_fall_in_every_shape(year):
    pupils, final = year
    day_index = {day.isoformat(): index for index, (day, _) in enumerate(school_days(*academic_year(2025)))}
    decliners = [pupil for pupil in pupils.values() if pupil.decline]
    assert len(decliners) >= 0.01 * len(pupils)
    assert {p.decline.shape for p in decliners} == {GRADUAL, STEP, AFTER_TRANSITION, SEASONAL_SCHOOL}
    strong_before = fell_after = 0
    for pupil in decliners:
        plan = pupil.decline
        before = [code for (date, _), code in final[pupil.upn].items() if day_index[date] < plan.onset_day]
        after = [code for (date, _), code in final[pupil.upn].items()
                 if day_index[date] >= plan.onset_day + plan.ramp_days]  # fmt: skip
        strong_before += tally(before, TABLE).attendance_rate > 0.95
        fell_after += not after or tally(after, TABLE).absence_rate >= 0.10
    assert strong_before / len(decliners) >= 0.8 and fell_after / len(decliners) >= 0.85


def test_the_other_planted_populations_show_in_the_marks(year):
    pupils, final = year
    school_day = [day.isoformat() for day, _ in school_days(*academic_year(2025))]
    missing = [p for p in pupils.values() if p.missing_from is not None]
    dual = [p for p in pupils.values() if p.dual_registered_weekday is not None]
    joiners = [p for p in pupils.values() if p.joins_on_day]
    pattern = [p for p in pupils.values() if p.unauthorised_pattern]
    assert missing and dual and joiners and pattern
    for pupil in missing:
        run = school_day[pupil.missing_from : pupil.missing_from + pupil.missing_days]
        assert all(final[pupil.upn][(day, s)] in "NO" for day in run for s in ("AM", "PM"))
    for pupil in dual:
        assert all(code == "D" for (date, _), code in final[pupil.upn].items()
                   if dt.date.fromisoformat(date).weekday() == pupil.dual_registered_weekday)  # fmt: skip
    for pupil in joiners:
        assert min(date for date, _ in final[pupil.upn]) == school_day[pupil.joins_on_day]
    unauthorised = [code for p in pattern for code in final[p.upn].values() if code in "OGNICERT"]
    assert sum(code in "OGN" for code in unauthorised) / len(unauthorised) >= 0.9


def test_same_seed_gives_the_same_marks():
    _, pupils = make_borough(seed=3, schools=1, pupils_per_school=20)
    first = next(iter(school_year_marks(pupils, seed=3)))
    again = next(iter(school_year_marks(make_borough(seed=3, schools=1, pupils_per_school=20)[1], seed=3)))
    assert first == again


def test_planted_enrichment_changes_nothing_else_and_its_registers_follow_the_plan():
    plain = make_borough(seed=5, schools=3, pupils_per_school=200)[1]
    schools, planted = make_borough(seed=5, schools=3, pupils_per_school=200, calibration=DEMO_CALIBRATION)
    assert [dataclasses.replace(p, enrichment=None) for p in planted] == plain
    joined = [p for p in planted if p.enrichment]
    targeted = [p for p in planted if p.propensity >= 0.10]
    assert sum(p.enrichment is not None for p in targeted) / len(targeted) == pytest.approx(0.25, abs=0.08)
    assert 20 <= len(joined) <= 120
    days = school_days(*academic_year())
    rows = [row for index, (day, _) in enumerate(days) for row in attendance_rows(planted, day, index, seed=5)]
    by_pupil = collections.defaultdict(list)
    for row in rows:
        by_pupil[row["upn"]].append(row)
    assert set(by_pupil) == {p.upn for p in joined if p.enrichment.joins_on_day < len(days) - 5}
    for pupil in joined:
        first = days[pupil.enrichment.joins_on_day][0].isoformat()
        assert all(row["date"] >= first for row in by_pupil[pupil.upn])
        assert by_pupil[pupil.upn][0]["attended"]  # the first session is the one they joined at
    assert {row["activity_id"] for row in rows} <= {row["activity_id"] for row in activity_rows(schools)}


def participants_absence_after_over_before(effect: float) -> float:
    calibration = dataclasses.replace(DEMO_CALIBRATION, enrichment_effect=effect)
    schools, pupils = make_borough(seed=7, schools=5, pupils_per_school=200, calibration=calibration)
    joined = {p.upn: p.enrichment.joins_on_day for p in pupils if p.enrichment and not p.decline}
    before, after = [0, 0], [0, 0]
    for index, (_, rows) in enumerate(school_year_marks(pupils, seed=7, schools=schools)):
        for row in rows:
            category = TABLE.category(row["code"])
            if row["upn"] in joined and category.counts_as_possible:
                side = after if index >= joined[row["upn"]] else before
                side[0], side[1] = side[0] + category.absent, side[1] + 1
    return (after[0] / after[1]) / (before[0] / before[1])


def test_participants_absence_falls_by_the_planted_share_from_the_day_they_join():
    """Against the same pupils in a borough where joining changes nothing: their absence rises after
    joining anyway (the season), so only the comparison shows the planted 30% fall."""
    assert participants_absence_after_over_before(0.0) > 1.1
    relative = participants_absence_after_over_before(0.3) / participants_absence_after_over_before(0.0)
    assert relative == pytest.approx(0.7, abs=0.1)
