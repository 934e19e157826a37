"""The evaluation's arithmetic (issue #14): truth from the generator's parameters, the 10% crossing
counted from the marks, precision, recall and lead time, and agreement with the engine where the
two must agree."""

import dataclasses
import json

import pytest

from shared.codes import current_table
from shared.statistics import auc, auc_with_interval
from synthetic.__main__ import cli as synthetic_cli
from synthetic.borough import GRADUAL, STEP, make_borough
from synthetic.evaluation import (
    RuleRecord,
    decline_timing,
    decline_timing_by_shape,
    evaluate,
    figures_for,
    markdown_table,
    pa_crossings,
    planted_truth,
    summary,
)
from synthetic.evaluation_report import lead_time_svg, targets, timing_table
from tests.cli_support import refused, run


def test_the_truth_is_read_from_the_generators_parameters():
    _, pupils = make_borough(seed=5, schools=5, pupils_per_school=200)
    truth = planted_truth(pupils)
    assert truth["decliner"] == {p.upn for p in pupils if p.decline} and truth["decliner"]
    assert all(p.propensity >= 0.10 and not p.decliner for p in pupils if p.upn in truth["persistent absentee"])
    assert truth["missing education"] == {p.upn for p in pupils if p.missing_from is not None}
    assert truth["unauthorised pattern"] == {p.upn for p in pupils if p.unauthorised_pattern}
    assert truth["missing education"] and truth["unauthorised pattern"]


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


def test_decline_timing_measures_from_the_planted_onset_not_from_the_engine():
    _, pupils = make_borough(seed=5, schools=5, pupils_per_school=200)
    steps = [p for p in pupils if p.decline and p.decline.shape == STEP]
    a, b, c = steps[0], steps[1], next(p for p in pupils if p.decline and p.decline.shape == GRADUAL)
    onset = {p.upn: p.decline.onset_day for p in (a, b, c)}
    crossing = {a.upn: onset[a.upn] + 10, b.upn: onset[b.upn] + 30, "steady pupil": 5}  # c never crosses
    record = RuleRecord(flagged={a.upn, c.upn}, first_alert={a.upn: onset[a.upn] + 4, c.upn: onset[c.upn] + 20})
    timing = decline_timing(pupils, record, crossing)
    assert timing == {
        "median_onset_to_crossing_days": 20,  # 10 and 30: the steady pupil's crossing is not a slide's
        "share_crossing_within_20_days_of_onset": 0.5,
        "median_onset_to_crossing_days_of_those_found": 10,
        "median_first_alert_after_onset_days": 12,  # 4 and 20
        "median_lead_days": 6,  # a alone: c never crosses
    }
    by_shape = decline_timing_by_shape(pupils, record, crossing)
    assert set(by_shape) == {p.decline.shape for p in pupils if p.decline}
    assert by_shape[STEP]["median_first_alert_after_onset_days"] == 4 and by_shape[STEP]["median_lead_days"] == 6
    assert by_shape[GRADUAL]["median_first_alert_after_onset_days"] == 20
    assert by_shape[GRADUAL]["median_onset_to_crossing_days"] is None
    table = timing_table([{"decline_timing": {"attendance_decline": timing}}, {"decline_timing": {
        "attendance_decline": {**timing, "median_first_alert_after_onset_days": None}}}])  # fmt: skip
    assert "| attendance_decline | 12 | 10 | 20 | 0.5 | 6 |" in table  # a seed without a figure is left out of its mean
    shapes = timing_table([{"decline_timing_by_shape": by_shape}], by="decline_timing_by_shape", heading="Shape")
    assert f"| {STEP} | 4 | 10 | 20 | 0.5 | 6 |" in shapes and f"| {GRADUAL} | 20 | — | — | — | — |" in shapes


def test_a_small_borough_year_and_the_engine_agree_on_when_pupils_cross_ten_percent():
    run = evaluate(seed=3, schools=1, pupils_per_school=120)
    assert run["scored"] and all(0 <= pupil.absence_rate < 0.1 for pupil in run["scored"])
    ladder = next(f for f in run["rules"] if f.rule == "persistent_absence")
    assert ladder.flagged > 0 and ladder.median_lead_days == 0  # the ladder raises the day the marks cross
    table = markdown_table(summary([run]))
    assert table.count("\n") == 1 + len(run["rules"]) and "not planted" in table
    assert dataclasses.asdict(ladder)["truth"] == "persistent absentee"


def test_auc_counts_pairs_ranked_right_and_ties_as_half():
    assert auc([1, 2, 3, 4], [False, False, True, True]) == 1.0
    assert auc([4, 3, 2, 1], [False, False, True, True]) == 0.0
    assert auc([1, 1, 1, 1], [False, True, False, True]) == 0.5
    assert auc([1, 2, 3, 2], [False, True, True, False]) == pytest.approx((1 + 0.5 + 1 + 1) / 4)
    estimate = auc_with_interval([n % 7 + (n % 3 == 0) * 3 for n in range(300)], [n % 3 == 0 for n in range(300)])
    assert estimate.low <= estimate.value <= estimate.high and estimate.high - estimate.low < 0.2


def test_the_lead_time_chart_draws_a_bar_per_rule_per_bin_and_says_when_there_is_nothing():
    svg = lead_time_svg({"attendance_decline": [-3, 5, 12, 14], "strong_attendance_decline": [25]})
    assert svg.count("<rect") == 2 * 4 + 2  # bins -10..29, two rules, and two legend swatches
    assert "attendance_decline: 2 from 10 to 19 days" in svg
    assert "No decliner was alerted" in lead_time_svg({"attendance_decline": []})


def test_targets_are_met_only_when_the_figure_reaches_them():
    rows = [{"rule": "attendance_decline", "precision": 0.81, "recall": 0.5, "median_lead_days": 20}]
    runs = [{"pupils": 5000, "decline_alerts_before_february_half_term": 3, "first_decline_alert": "2025-12-03"}]
    found = {t.name: t.met for t in targets(rows, runs, None, seconds_per_run=299)}
    assert found["attendance_decline precision"] and not found["attendance_decline recall"]
    assert found["median lead before PA onset (school days)"]
    assert all(met for name, met in found.items() if name.startswith("a borough-year"))
    small = [{**runs[0], "pupils": 450}]
    assert not any(t.met for t in targets(rows, small, None, 25) if t.name.startswith("a borough-year"))


def test_the_evaluation_command_runs_the_decline_windows_asked_for_and_says_so(tmp_path):
    """The lines are written into evaluation.json, so a figure can always be traced to what made it."""
    files = [f"--{name}={tmp_path / name}" for name in ("out", "report", "chart")]
    small = ["--seed", "5", "--schools", "1", "--pupils-per-school", "60", "--prior-year-pupils-per-school", "0"]
    run(synthetic_cli, "evaluate", *small, *files, "--decline-windows", "30,45")
    lines = json.loads((tmp_path / "out").read_text())["lines"]
    assert lines["decline_windows_school_days"] == [30, 45] and lines["decline_significance"] == 0.001
    for windows, named in (("30,six", "decline_windows_school_days.1"), ("0", "at least one window")):
        said = refused(synthetic_cli, "evaluate", *small, *files, "--decline-windows", windows)
        assert "--decline-windows" in said and named in " ".join(said.split())


def test_with_last_year_each_seed_runs_again_on_the_same_truth_and_the_oracle_bound_is_written(tmp_path):
    files = [f"--{name}={tmp_path / name}" for name in ("out", "report", "chart")]
    small = ["--seed", "5", "--schools", "1", "--pupils-per-school", "60", "--prior-year-pupils-per-school", "0"]
    printed = run(synthetic_cli, "evaluate", *small, *files, "--last-year")
    written = json.loads((tmp_path / "out").read_text())
    (main,), (again,) = written["runs"], written["last_year_runs"]
    assert main["planted"] == again["planted"] and main["decliners_reaching_pa"] == again["decliners_reaching_pa"]
    assert main["best_possible"] and set(main["best_possible"][0]) >= {"shift", "threshold", "precision", "recall"}
    assert again["best_possible"] == []  # the same year's marks again: the oracle is not run twice
    assert "with last year's marks loaded first" in printed and "an oracle that knows" in printed
    run(synthetic_cli, "evaluate", *small, *files)
    assert json.loads((tmp_path / "out").read_text())["last_year_runs"] == []  # only when asked: it doubles the time
