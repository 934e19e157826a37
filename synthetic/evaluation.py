"""How well the rules find the pupils the generator planted, measured on a seeded borough-year
(issue #14). The truth comes from the generator's parameters (synthetic/borough.py), never from
the engine:

- a *decliner* is a pupil the generator gave a decline plan (four shapes);
- a *persistent absentee* is any other pupil whose planted propensity is 10% or more (the marks
  may land either side of the line by chance; early warning is about the tendency);
- *missing education* and an *unauthorised pattern* are planted populations of their own;
- nothing plants absence early in term, so that rule gets counts and churn only.

The pure engine takes the year in delivery order (each day's marks, then the previous day's
corrections), with a seeded share of rows sent twice, and a seasonal reference built as the
risk engine builds it (cohorts.py). Lead time is counted in school days from a decliner's first
alert to the day its marks first put it at 10% absence or more (a fact of the marks, counted
here with the code table, not read from the engine)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial

from services.risk_engine import scoring
from services.risk_engine.attendance import tally
from services.risk_engine.cohorts import Cohorts
from services.risk_engine.decline import RULE as DECLINE
from services.risk_engine.engine import Context, figures_of, process_marks
from services.risk_engine.rules import Thresholds
from services.risk_engine.state import PupilState
from shared.calendar import SchoolDays
from shared.codes import current_table
from shared.events import AttendanceMark, RiskAlert, Transition
from shared.statistics import median_or_none, tenth_percentile_or_none
from synthetic import best_possible
from synthetic.borough import Calibration, Pupil, School, make_borough
from synthetic.calendar import academic_year, school_calendar, school_days
from synthetic.marks import school_year_marks

PLANTED_PA = 0.10
DUPLICATE_SHARE = 0.05
RULES = ("persistent_absence", DECLINE, "strong_attendance_decline", "unauthorised_10_in_10", "missing_education",
         "first_week_absence")  # fmt: skip
TRUTH = {
    "persistent_absence": "persistent absentee",
    DECLINE: "decliner",
    "strong_attendance_decline": "decliner",
    "unauthorised_10_in_10": "unauthorised pattern",
    "missing_education": "missing education",
}
TIMED = (DECLINE, "strong_attendance_decline")  # the rules whose lead before PA onset is measured
SCORED_ON = "2-spring/1"  # the risk score is read on the last day of this half-term...
OUTCOME_BY = "2-spring/2"  # ...and tested against who is persistently absent by the end of this one


@dataclass
class RuleRecord:
    flagged: set[str] = field(default_factory=set)
    raises: int = 0
    first_alert: dict[str, int] = field(default_factory=dict)  # pupil -> school-day index


@dataclass(frozen=True)
class RuleFigures:
    rule: str
    truth: str | None
    flagged: int
    precision: float | None
    recall: float | None
    alerts_per_100_pupils_per_term: float
    raises_per_flagged_pupil: float
    median_lead_days: float | None
    p10_lead_days: float | None


@dataclass(frozen=True)
class ScoredPupil:
    """A pupil on the scoring day: their score's parts, and whether they became persistently absent."""

    components: dict[str, int]
    context_points: int
    absence_rate: float  # year to date on the scoring day
    became_pa: bool


@dataclass
class YearRun:
    records: dict[str, RuleRecord]
    crossing: dict[str, int]  # pupil -> first school-day index at 10% absence or more
    scored: list[ScoredPupil]
    first_decline_alert: dt.date | None
    final_codes: dict[str, dict[tuple[str, str], str]]  # pupil -> (date, session) -> the code that stood


def planted_truth(pupils: list[Pupil]) -> dict[str, set[str]]:
    """From the generator's parameters only."""
    return {
        "decliner": {p.upn for p in pupils if p.decliner},
        "persistent absentee": {p.upn for p in pupils if not p.decliner and p.propensity >= PLANTED_PA},
        "missing education": {p.upn for p in pupils if p.missing_from is not None},
        "unauthorised pattern": {p.upn for p in pupils if p.unauthorised_pattern},
    }


@dataclass
class _Engine:
    """The pure engine over a borough, with the cohorts the seasonal reference reads."""

    pupils: list[Pupil]
    days: SchoolDays
    thresholds: Thresholds
    alerts_from: dt.date | None = None
    states: dict[str, PupilState] = field(default_factory=dict)
    cohorts: Cohorts = field(default_factory=Cohorts)

    def __post_init__(self) -> None:
        table = current_table()
        self.school_of = {p.upn: p.school_urn for p in self.pupils}
        self.year_group = {p.upn: p.year_group for p in self.pupils}
        self.contexts = {
            p.upn: Context(
                table,
                self.thresholds,
                self.days,
                characteristics=p.characteristics,
                alerts_from=self.alerts_from,
                seasonal=partial(self.cohorts.change, p.school_urn, p.year_group),
            )
            for p in self.pupils
        }

    def take(self, marks: list[AttendanceMark]) -> list[RiskAlert]:
        """One pupil's marks of the day: the alerts they raise."""
        upn = marks[0].pupil_id
        before = self.states.get(upn)
        step = process_marks(before, upn, marks, self.contexts[upn])
        if step.changed:
            self.states[upn] = step.state
            self.cohorts.move(
                upn, self.school_of[upn], self.year_group[upn], before and before["counts"], step.state["counts"]
            )
        return step.alerts


def _marks_by_pupil(rows: list[dict], school_of: dict[str, str], duplicates: random.Random) -> dict[str, list]:
    by_pupil: dict[str, list[AttendanceMark]] = defaultdict(list)
    for row in rows:
        mark = AttendanceMark(pupil_id=row["upn"], school_urn=school_of[row["upn"]], date=row["date"],
                              session=row["session"], code=row["code"], recorded_at=row["recorded_at"])  # fmt: skip
        by_pupil[row["upn"]].append(mark)
        if duplicates.random() < DUPLICATE_SHARE:
            by_pupil[row["upn"]].append(mark)
    return by_pupil


def _year_days(start_year: int) -> list[tuple[dt.date, str]]:
    return school_days(*academic_year(start_year))


def run_year(
    schools: list[School],
    pupils: list[Pupil],
    seed: int,
    start_year: int = 2025,
    thresholds: Thresholds | None = None,
    prior_year: bool = False,
) -> YearRun:
    """The pure engine over the year (after a quiet prior year when `prior_year`): per rule what it
    raised, each pupil's 10% crossing day, and the risk score on the scoring day."""
    calendars = [school_calendar(pupils[0].school_urn, year) for year in (start_year - 1, start_year)]
    days = SchoolDays.from_calendars(calendars if prior_year else calendars[1:])
    held_back_until = dt.date(start_year, 9, 1) if prior_year else None
    engine = _Engine(pupils, days, thresholds or Thresholds(), alerts_from=held_back_until)
    duplicates = random.Random(seed + 7)
    if prior_year:
        for _, rows in _history(schools, pupils, seed, start_year - 1):
            for marks in _marks_by_pupil(rows, engine.school_of, duplicates).values():
                engine.take(marks)
    records = {rule: RuleRecord() for rule in RULES}
    final_codes: dict[str, dict[tuple[str, str], str]] = defaultdict(dict)
    first_decline, scored = None, {}
    year_days = _year_days(start_year)
    scoring_day = _last_day_of(year_days, days, f"{start_year}/{SCORED_ON}")
    for index, (day, rows) in enumerate(school_year_marks(pupils, seed=seed, start_year=start_year, schools=schools)):
        for row in rows:
            final_codes[row["upn"]][(row["date"], row["session"])] = row["code"]
        for upn, marks in _marks_by_pupil(rows, engine.school_of, duplicates).items():
            for alert in engine.take(marks):
                _record(records, alert.rule, alert.transition, upn, index)
                first_decline = first_decline or (day if alert.rule == DECLINE else None)
        if index == scoring_day:
            scored = _score_all(engine, pupils)
    crossing = pa_crossings(final_codes, current_table(), start_year)
    outcome_end = _last_day_of(year_days, days, f"{start_year}/{OUTCOME_BY}")
    became = [dataclasses.replace(pupil, became_pa=crossing.get(upn, outcome_end + 1) <= outcome_end)
              for upn, pupil in scored.items()]  # fmt: skip
    return YearRun(records, crossing, became, first_decline, final_codes)


def _last_day_of(year_days: list[tuple[dt.date, str]], days: SchoolDays, half_term: str) -> int:
    return max(index for index, (day, _) in enumerate(year_days) if days.half_term_of(day) == half_term)


def _history(schools: list[School], pupils: list[Pupil], seed: int, year: int) -> Iterator[tuple[dt.date, list]]:
    """Last year's marks: the same pupils attending as they usually do, nothing planted."""
    steady = [
        dataclasses.replace(
            p, decline=None, missing_from=None, missing_days=0, joins_on_day=0, unauthorised_pattern=False
        )
        for p in pupils
    ]
    return school_year_marks(steady, seed=seed + 1000, start_year=year, schools=schools)


def _score_all(engine: _Engine, pupils: list[Pupil]) -> dict[str, ScoredPupil]:
    """Every pupil below the PA line on the scoring day, with their score's parts."""
    scored = {}
    for pupil in pupils:
        state = engine.states.get(pupil.upn)
        if not state or not state["latest"]:
            continue
        found = figures_of(state, engine.contexts[pupil.upn])
        if found.year.possible < engine.thresholds.min_possible_sessions or found.year.absence_rate >= PLANTED_PA:
            continue
        scored[pupil.upn] = ScoredPupil(
            components={part.name: part.points for part in scoring.components(found)},
            context_points=scoring.context_points(pupil.characteristics),
            absence_rate=found.year.absence_rate,
            became_pa=False,
        )
    return scored


def _record(records: dict[str, RuleRecord], rule: str, transition: Transition, upn: str, index: int) -> None:
    record = records.setdefault(rule, RuleRecord())
    if transition is Transition.RAISED:
        record.raises += 1
        record.flagged.add(upn)
        record.first_alert.setdefault(upn, index)


def pa_crossings(final_codes: dict[str, dict[tuple[str, str], str]], table, start_year: int) -> dict[str, int]:
    """Each pupil's first school day (index) on which the year's marks so far, as finally recorded,
    put them at 10% absence or more over enough sessions to count."""
    day_index = {day.isoformat(): index for index, (day, _) in enumerate(_year_days(start_year))}
    crossings = {}
    for upn, codes in final_codes.items():
        possible = absent = 0
        for (date, _), code in sorted(codes.items()):
            figures = tally([code], table)
            possible, absent = possible + figures.possible, absent + figures.absent
            if possible >= Thresholds().min_possible_sessions and absent / possible >= PLANTED_PA:
                crossings[upn] = day_index[date]
                break
    return crossings


def figures_for(rule: str, record: RuleRecord, truth: dict[str, set[str]], crossing: dict[str, int],
                pupils: int, terms: int) -> RuleFigures:  # fmt: skip
    truth_name = TRUTH.get(rule)
    planted = truth.get(truth_name, set()) if truth_name else set()
    hits = record.flagged & planted
    precision = len(hits) / len(record.flagged) if truth_name and record.flagged else None
    recall = len(hits) / len(planted) if truth_name and planted else None
    leads = lead_times(record, truth, crossing)
    return RuleFigures(
        rule=rule,
        truth=truth_name,
        flagged=len(record.flagged),
        precision=precision,
        recall=recall,
        alerts_per_100_pupils_per_term=100 * record.raises / pupils / terms,
        raises_per_flagged_pupil=record.raises / len(record.flagged) if record.flagged else 0.0,
        median_lead_days=median_or_none(leads),
        p10_lead_days=tenth_percentile_or_none(leads),
    )


def lead_times(record: RuleRecord, truth: dict[str, set[str]], crossing: dict[str, int]) -> list[int]:
    """School days from each alerted decliner's first alert to their 10% crossing (those who cross)."""
    return [crossing[upn] - record.first_alert[upn] for upn in truth["decliner"] & record.flagged if upn in crossing]


def decline_timing(pupils: list[Pupil], record: RuleRecord, crossing: dict[str, int]) -> dict[str, float | None]:
    """When the planted slides start, against when a rule first flags them and when they cross 10%.
    The onset-to-crossing gap is the most any rule can warn a decliner ahead without alerting before
    the slide begins. The onset is the generator's parameter and the crossing a fact of the marks:
    neither is read from the engine."""
    onsets = {p.upn: p.decline.onset_day for p in pupils if p.decline}
    gaps = [crossing[upn] - onset for upn, onset in onsets.items() if upn in crossing]
    found = [upn for upn in onsets if upn in record.first_alert]
    return {
        "median_onset_to_crossing_days": median_or_none(gaps),
        "share_crossing_within_20_days_of_onset": round(sum(gap < 20 for gap in gaps) / len(gaps), 3) if gaps else None,
        "median_onset_to_crossing_days_of_those_found": median_or_none(
            [crossing[upn] - onsets[upn] for upn in found if upn in crossing]
        ),
        "median_first_alert_after_onset_days": median_or_none([record.first_alert[upn] - onsets[upn] for upn in found]),
        "median_lead_days": median_or_none(lead_times(record, {"decliner": set(onsets)}, crossing)),
    }


def decline_timing_by_shape(pupils: list[Pupil], record: RuleRecord, crossing: dict[str, int]) -> dict[str, dict]:
    shapes = sorted({p.decline.shape for p in pupils if p.decline})
    return {
        shape: decline_timing([p for p in pupils if p.decline and p.decline.shape == shape], record, crossing)
        for shape in shapes
    }


def recall_by_shape(pupils: list[Pupil], record: RuleRecord) -> dict[str, float]:
    shapes: dict[str, list[bool]] = defaultdict(list)
    for pupil in pupils:
        if pupil.decline:
            shapes[pupil.decline.shape].append(pupil.upn in record.flagged)
    return {shape: round(sum(found) / len(found), 3) for shape, found in sorted(shapes.items())}


def evaluate(
    seed: int,
    schools: int,
    pupils_per_school: int,
    *,
    start_year: int = 2025,
    thresholds: Thresholds | None = None,
    prior_year: bool = False,
    early_declines: bool = False,
    with_bound: bool = True,
) -> dict:
    """One seeded borough-year: per rule figures, and how the truth was planted. With `prior_year`,
    last year's marks are loaded first (alerts held back for them); with `early_declines` too,
    declines may start in the first weeks of autumn, when only last year's marks can show a baseline.
    Without `with_bound`, the oracle's figures (best_possible.py) are left empty: a rerun of the same
    year's marks would only repeat them."""
    calibration = Calibration(decline_onset=(5, 60)) if early_declines else Calibration()
    school_list, pupils = make_borough(seed, schools, pupils_per_school, start_year, calibration)
    truth = planted_truth(pupils)
    run = run_year(school_list, pupils, seed, start_year, thresholds or Thresholds(), prior_year=prior_year)
    terms = len({term for _, term in _year_days(start_year)})
    rules = [figures_for(rule, run.records[rule], truth, run.crossing, len(pupils), terms) for rule in RULES]
    decline = run.records[DECLINE]
    breaks = _last_days_before_breaks(start_year)
    return {
        "seed": seed,
        "pupils": len(pupils),
        "planted": {name: len(upns) for name, upns in truth.items()},
        "decliners_reaching_pa": len(truth["decliner"] & set(run.crossing)),
        "rules": rules,
        "decline_recall_by_shape": recall_by_shape(pupils, decline),
        "decline_timing": {rule: decline_timing(pupils, run.records[rule], run.crossing) for rule in TIMED},
        "decline_timing_by_shape": decline_timing_by_shape(pupils, decline, run.crossing),
        "first_decline_alert": run.first_decline_alert.isoformat() if run.first_decline_alert else None,
        "decline_alerts_before_october_half_term": sum(i <= breaks[0] for i in decline.first_alert.values()),
        "decline_alerts_before_february_half_term": sum(i <= breaks[2] for i in decline.first_alert.values()),
        "lead_times": {rule: lead_times(run.records[rule], truth, run.crossing) for rule in TIMED},
        "scored": run.scored,
        "best_possible": best_possible.operating_points(
            pupils, run.final_codes, run.crossing, schools=school_list, table=current_table(), start_year=start_year
        )
        if with_bound
        else [],
    }


def _last_days_before_breaks(start_year: int) -> list[int]:
    """The index of the last school day before each holiday of a week or more: October half-term,
    Christmas, February half-term, Easter, May half-term."""
    days = _year_days(start_year)
    return [index for index in range(len(days) - 1) if (days[index + 1][0] - days[index][0]).days > 4]


def summary(runs: list[dict]) -> list[dict]:
    """Each rule's figures averaged over the seeds (a figure a rule cannot have stays empty)."""
    rows = []
    for rule in RULES:
        per_seed = [next(f for f in run["rules"] if f.rule == rule) for run in runs]
        row = {"rule": rule, "truth": per_seed[0].truth or "not planted"}
        for name in ("flagged", "precision", "recall", "alerts_per_100_pupils_per_term", "raises_per_flagged_pupil",
                     "median_lead_days", "p10_lead_days"):  # fmt: skip
            values = [getattr(figures, name) for figures in per_seed if getattr(figures, name) is not None]
            row[name] = round(sum(values) / len(values), 0 if name == "flagged" else 2) if values else None
        rows.append(row)
    return rows


def markdown_table(rows: list[dict]) -> str:
    columns = [("rule", "Rule"), ("truth", "Planted truth"), ("flagged", "Flagged"), ("precision", "Precision"),
               ("recall", "Recall"), ("median_lead_days", "Decliners' median lead (school days)"),
               ("p10_lead_days", "10th percentile lead"),
               ("alerts_per_100_pupils_per_term", "Alerts /100 pupils /term"),
               ("raises_per_flagged_pupil", "Raises per flagged pupil")]  # fmt: skip
    lines = ["| " + " | ".join(title for _, title in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join("—" if row[key] is None else str(row[key]) for key, _ in columns) + " |")
    return "\n".join(lines)
