"""The synthetic borough matches England 2023/24 (docs/synthetic-borough.md) within stated tolerances."""

import collections
import datetime as dt
import itertools

import pytest

from services.risk_engine.attendance import tally
from shared.codes import current_table
from synthetic.borough import make_borough
from synthetic.marks import school_year_marks

TABLE = current_table()


@pytest.fixture(scope="module")
def year():
    _, pupils = make_borough(seed=11, schools=8, pupils_per_school=300)
    final: dict[str, dict] = collections.defaultdict(dict)
    for _, rows in school_year_marks(pupils, seed=11):
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


def test_decliners_start_strong_and_fall_term_on_term(year):
    pupils, final = year
    decliners = [upn for upn, pupil in pupils.items() if pupil.decliner]
    assert len(decliners) >= 0.01 * len(pupils)
    declining = 0
    for upn in decliners:
        terms = collections.defaultdict(list)
        for (date, _), code in final[upn].items():
            terms["autumn" if date < "2026-01-01" else "spring" if date < "2026-04-01" else "summer"].append(code)
        attendance = {name: tally(codes, TABLE).attendance_rate for name, codes in terms.items()}
        declining += (
            attendance["autumn"] > 0.95
            and attendance["spring"] <= attendance["autumn"] - 0.01
            and attendance["summer"] <= attendance["spring"] - 0.01
        )
    assert declining / len(decliners) >= 0.7


def test_same_seed_gives_the_same_marks():
    _, pupils = make_borough(seed=3, schools=1, pupils_per_school=20)
    first = next(iter(school_year_marks(pupils, seed=3)))
    again = next(iter(school_year_marks(make_borough(seed=3, schools=1, pupils_per_school=20)[1], seed=3)))
    assert first == again
