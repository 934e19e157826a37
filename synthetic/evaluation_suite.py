"""`python -m synthetic evaluate`: the seeded borough-years, the hysteresis and prior-year runs (and,
when asked, each seed again with last year's marks loaded) and the score's ranking, run two at a time
(one per core), then written out as JSON, HTML and SVG."""

from __future__ import annotations

import dataclasses
import json
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from services.risk_engine.rules import Thresholds
from synthetic import evaluation, evaluation_report, score_ranking

HYSTERESIS = {
    "persistent_absence_resolve": 0.09,
    "unauthorised_resolve_sessions": 8,
    "decline_resolve_significance": 0.01,
}
HYSTERESIS_WORDS = (
    "the ladder resolves below 9% (raised at 10%); 10-in-10 below 8 sessions (raised at 10); attendance_decline "
    "once chance explains the fall at 0.01 (raised at 0.001)"
)


@dataclass(frozen=True)
class Plan:
    seeds: list[int]
    schools: int
    pupils_per_school: int
    prior_year_pupils_per_school: int
    last_year: bool = False  # each seed again with last year's marks loaded first
    workers: int = 2
    thresholds: Thresholds = Thresholds()  # the lines every run uses (hysteresis added to its own)


@dataclass(frozen=True)
class Job:
    kind: str  # main | hysteresis | prior year (declines from September) | last year (the main run, with it)
    seed: int
    schools: int
    pupils_per_school: int
    thresholds: Thresholds


def _run(job: Job) -> tuple[Job, dict, float]:
    started = time.monotonic()
    thresholds = dataclasses.replace(job.thresholds, **HYSTERESIS) if job.kind == "hysteresis" else job.thresholds
    found = evaluation.evaluate(
        job.seed,
        job.schools,
        job.pupils_per_school,
        thresholds=thresholds,
        prior_year=job.kind in ("prior year", "last year"),
        early_declines=job.kind == "prior year",
        with_bound=job.kind == "main",  # the other runs replay a main run's marks, or are not reported
    )
    return job, found, time.monotonic() - started


def run(plan: Plan, echo) -> dict:
    jobs = [Job("main", seed, plan.schools, plan.pupils_per_school, plan.thresholds) for seed in plan.seeds]
    jobs.append(Job("hysteresis", plan.seeds[0], plan.schools, plan.pupils_per_school, plan.thresholds))
    if plan.prior_year_pupils_per_school:
        jobs.append(Job("prior year", plan.seeds[0], plan.schools, plan.prior_year_pupils_per_school, plan.thresholds))
    if plan.last_year:
        jobs += [Job("last year", seed, plan.schools, plan.pupils_per_school, plan.thresholds) for seed in plan.seeds]
    results: dict[str, list] = {"main": [], "hysteresis": [], "prior year": [], "last year": []}
    seconds = []
    with ProcessPoolExecutor(max_workers=plan.workers) as pool:
        for job, found, took in pool.map(_run, jobs):
            echo(f"{job.kind} seed {job.seed}: {found['pupils']} pupils in {took:.0f} s")
            results[job.kind].append(found)
            if job.kind == "main":
                seconds.append(took)
    return {"runs": results["main"], "hysteresis": results["hysteresis"][0],
            "prior": (results["prior year"] or [None])[0], "last_year": results["last year"],
            "seconds_per_run": max(seconds),
            "lines": dataclasses.asdict(plan.thresholds)}  # fmt: skip


def write(found: dict, out: Path, report: Path, chart: Path) -> str:
    """Write the JSON, the chart and the HTML report; return the text printed."""
    runs = found["runs"]
    rows = evaluation.summary(runs)
    scored = [pupil for run in runs for pupil in run["scored"]]
    ranking = score_ranking.rankings(scored)
    targets = evaluation_report.targets(rows, runs, found["prior"], found["seconds_per_run"])
    leads = {rule: [lead for run in runs for lead in run["lead_times"][rule]] for rule in runs[0]["lead_times"]}
    sections = [
        ("Each rule against the planted truth (mean over the seeds)", evaluation.markdown_table(rows)),
        ("Targets", evaluation_report.targets_table(targets)),
        ("attendance_decline's recall by shape of decline", evaluation_report.shapes_table(runs)),
        ("When the decline rules find the planted slides", evaluation_report.timing_table(runs)),
        ("When attendance_decline finds each shape of slide", evaluation_report.timing_table(
            runs, by="decline_timing_by_shape", heading="Shape")),
        ("The best any rule could do: an oracle that knows each pupil's planted rate",
         evaluation_report.best_possible_table(runs, rows)),
        ("Churn with and without hysteresis (first seed)", evaluation_report.churn_table(
            evaluation.summary(runs[:1]), evaluation.summary([found["hysteresis"]]), HYSTERESIS_WORDS)),
        ("The risk score's ranking", score_ranking.markdown_table(
            ranking, len(scored), sum(p.became_pa for p in scored))),
    ]  # fmt: skip
    if found["last_year"]:
        sections.insert(1, ("Each rule with last year's marks loaded first (the same seeds and planted truth)",
                            evaluation.markdown_table(evaluation.summary(found["last_year"]))))  # fmt: skip
    chart_svg = evaluation_report.lead_time_svg(leads)
    chart.parent.mkdir(parents=True, exist_ok=True)
    chart.write_text(chart_svg)
    report.write_text(evaluation_report.html_report(sections, chart_svg))
    out.write_text(_json(found, rows, ranking, targets))
    return "\n\n".join(f"## {heading}\n\n{table}" for heading, table in sections)


def _json(found: dict, rows: list[dict], ranking, targets) -> str:
    def plain(run: dict | None) -> dict | None:
        if run is None:
            return None
        written = {key: value for key, value in run.items() if key != "scored"}
        for listed in ("rules", "best_possible"):
            written[listed] = [dataclasses.asdict(figures) for figures in run[listed]]
        return written

    return json.dumps(
        {
            "lines": found["lines"],  # the rules' thresholds every run used
            "runs": [plain(run) for run in found["runs"]],
            "hysteresis": plain(found["hysteresis"]),
            "prior_year": plain(found["prior"]),
            "last_year_runs": [plain(run) for run in found["last_year"]],
            "summary": rows,
            "score_ranking": [dataclasses.asdict(r) for r in ranking],
            "targets": [dataclasses.asdict(t) for t in targets],
        },
        indent=2,
    )
