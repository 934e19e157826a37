"""The evaluation's arithmetic (issue #14): truth from the generator's parameters, the 10% crossing
counted from the marks, precision, recall and lead time, and agreement with the engine where the
two must agree."""

import dataclasses

import pytest

from shared.codes import current_table
from synthetic.borough import make_borough
from synthetic.evaluation import (
    RuleRecord,
    evaluate,
    figures_for,
    markdown_table,
    pa_crossings,
    planted_truth,
    summary,
)


def test_the_truth_is_read_from_the_generators_parameters():
    _, pupils = make_borough(seed=5, schools=2, pupils_per_school=150)
    truth = planted_truth(pupils)
    assert truth["decliner"] == {p.upn for p in pupils if p.decliner} and truth["decliner"]
    assert all(p.propensity >= 0.10 and not p.decliner for p in pupils if p.upn in truth["persistent absentee"])


def test_a_pupil_crosses_ten_percent_on_the_first_day_enough_sessions_put_them_there():
    days = ["2025-09-03", "2025-09-04", "2025-09-05", "2025-09-08"]
    present = {(day, session): "/" for day in days * 5 for session in ("AM", "PM")}
    codes = {**present, ("2025-09-03", "AM"): "N", ("2025-09-03", "PM"): "N"}
    assert pa_crossings({"a": codes}, current_table(), 2025) == {}  # 2 of 8 sessions: too few to count
    many = {(f"2025-09-{d:02d}", s): "/" for d in (3, 4, 5, 8, 9, 10, 11, 12, 15, 16, 17, 18, 19, 22, 23, 24, 25, 26,
                                                    29, 30) for s in ("AM", "PM")}  # fmt: skip
    many.update({("2025-09-29", s): "O" for s in ("AM", "PM")})
    assert pa_crossings({"b": many}, current_table(), 2025) == {}  # 2 of 40 sessions
    many[("2025-09-30", "AM")] = many[("2025-09-30", "PM")] = "I"
    assert pa_crossings({"b": many}, current_table(), 2025) == {"b": 19}  # 4 of 40 on the 20th school day


def test_precision_recall_and_lead_time_from_records():
    truth = {"decliner": {"d1", "d2", "d3", "d4"}, "persistent absentee": set()}
    record = RuleRecord(flagged={"d1", "d2", "x"}, raises=5, first_alert={"d1": 10, "d2": 30, "x": 5})
    figures = figures_for("strong_attendance_decline", record, truth, {"d1": 40, "d2": 35}, pupils=100, terms=3)
    assert (figures.precision, figures.recall) == (pytest.approx(2 / 3), 0.5)
    assert figures.median_lead_days == 17.5 and figures.raises_per_flagged_pupil == pytest.approx(5 / 3)
    assert figures.alerts_per_100_pupils_per_term == pytest.approx(100 * 5 / 100 / 3)
    untruthful = figures_for("first_week_absence", record, truth, {}, pupils=100, terms=3)
    assert untruthful.precision is None and untruthful.recall is None and untruthful.truth is None


def test_a_small_borough_year_and_the_engine_agree_on_when_pupils_cross_ten_percent():
    run = evaluate(seed=3, schools=1, pupils_per_school=120)
    ladder = next(f for f in run["rules"] if f.rule == "persistent_absence")
    assert ladder.flagged > 0 and ladder.median_lead_days == 0  # the ladder raises the day the marks cross
    table = markdown_table(summary([run]))
    assert table.count("\n") == 1 + len(run["rules"]) and "not planted" in table
    assert dataclasses.asdict(ladder)["truth"] == "persistent absentee"
