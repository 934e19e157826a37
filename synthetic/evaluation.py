"""How well the rules find the pupils the generator planted, measured on a seeded borough-year
(issue #14). The truth comes from the generator's parameters, never from the engine:

- a *decliner* is a pupil the generator gave a rising propensity (synthetic/marks.py);
- a *persistent absentee* is a pupil whose planted propensity is 10% or more (the marks may land
  either side of the line by chance; early warning is about the tendency);
- nothing plants missing education, an unauthorised pattern or absence early in term, so those
  rules get counts and churn only, said so in the table.

The pure engine takes the year in delivery order (each day's marks, then the previous day's
corrections), with a seeded share of rows sent twice. Lead time is counted in school days from a
decliner's first alert to the day its marks first put it at 10% absence or more (a fact of the
marks, counted here with the code table, not read from the engine)."""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from services.risk_engine.attendance import tally
from services.risk_engine.engine import Context, process_marks
from services.risk_engine.rules import Thresholds
from shared.calendar import SchoolDays
from shared.codes import current_table
from shared.events import AttendanceMark, Transition
from synthetic.borough import Pupil, make_borough
from synthetic.calendar import academic_year, school_calendar, school_days
from synthetic.marks import school_year_marks

PLANTED_PA = 0.10
DUPLICATE_SHARE = 0.05
RULES = ("persistent_absence", "strong_attendance_decline", "unauthorised_10_in_10", "missing_education",
         "first_week_absence")  # fmt: skip
TRUTH = {"persistent_absence": "persistent absentee", "strong_attendance_decline": "decliner"}


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


def planted_truth(pupils: list[Pupil]) -> dict[str, set[str]]:
    """From the generator's parameters only."""
    return {
        "decliner": {p.upn for p in pupils if p.decliner},
        "persistent absentee": {p.upn for p in pupils if not p.decliner and p.propensity >= PLANTED_PA},
    }


def run_year(pupils: list[Pupil], seed: int, start_year: int = 2025) -> tuple[dict[str, RuleRecord], dict[str, int]]:
    """The pure engine over the year; per rule what it raised, and each pupil's 10% crossing day."""
    table = current_table()
    days = SchoolDays.from_calendars([school_calendar(pupils[0].school_urn, start_year)])
    contexts = {p.upn: Context(table, Thresholds(), days, characteristics=p.characteristics) for p in pupils}
    school_of = {p.upn: p.school_urn for p in pupils}
    duplicates = random.Random(seed + 7)
    states: dict[str, object] = {}
    records = {rule: RuleRecord() for rule in RULES}
    final_codes: dict[str, dict[tuple[str, str], str]] = defaultdict(dict)
    for index, (_, rows) in enumerate(school_year_marks(pupils, seed=seed, start_year=start_year)):
        by_pupil: dict[str, list[AttendanceMark]] = defaultdict(list)
        for row in rows:
            mark = AttendanceMark(pupil_id=row["upn"], school_urn=school_of[row["upn"]], date=row["date"],
                                  session=row["session"], code=row["code"], recorded_at=row["recorded_at"])  # fmt: skip
            by_pupil[row["upn"]].append(mark)
            if duplicates.random() < DUPLICATE_SHARE:
                by_pupil[row["upn"]].append(mark)
            final_codes[row["upn"]][(row["date"], row["session"])] = row["code"]
        for upn, marks in by_pupil.items():
            step = process_marks(states.get(upn), upn, marks, contexts[upn])
            if step.changed:
                states[upn] = step.state
            for alert in step.alerts:
                _record(records, alert.rule, alert.transition, upn, index)
    return records, pa_crossings(final_codes, table, start_year)


def _record(records: dict[str, RuleRecord], rule: str, transition: Transition, upn: str, index: int) -> None:
    record = records.setdefault(rule, RuleRecord())
    if transition is Transition.RAISED:
        record.raises += 1
        record.flagged.add(upn)
        record.first_alert.setdefault(upn, index)


def pa_crossings(final_codes: dict[str, dict[tuple[str, str], str]], table, start_year: int) -> dict[str, int]:
    """Each pupil's first school day (index) on which the year's marks so far, as finally recorded,
    put them at 10% absence or more over enough sessions to count."""
    day_index = {day.isoformat(): index for index, (day, _) in enumerate(school_days(*academic_year(start_year)))}
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
    leads = [crossing[upn] - record.first_alert[upn] for upn in truth["decliner"] & record.flagged if upn in crossing]
    return RuleFigures(
        rule=rule,
        truth=truth_name,
        flagged=len(record.flagged),
        precision=precision,
        recall=recall,
        alerts_per_100_pupils_per_term=100 * record.raises / pupils / terms,
        raises_per_flagged_pupil=record.raises / len(record.flagged) if record.flagged else 0.0,
        median_lead_days=statistics.median(leads) if leads else None,
        p10_lead_days=statistics.quantiles(leads, n=10)[0] if len(leads) >= 2 else None,
    )


def evaluate(seed: int, schools: int, pupils_per_school: int, start_year: int = 2025) -> dict:
    """One seeded borough-year: per rule figures, and how the truth was planted."""
    _, pupils = make_borough(seed, schools, pupils_per_school, start_year)
    truth = planted_truth(pupils)
    records, crossing = run_year(pupils, seed, start_year)
    terms = len({term for _, term in school_days(*academic_year(start_year))})
    rules = [figures_for(rule, records[rule], truth, crossing, len(pupils), terms) for rule in RULES]
    return {
        "seed": seed,
        "pupils": len(pupils),
        "planted": {name: len(upns) for name, upns in truth.items()},
        "decliners_reaching_pa": len(truth["decliner"] & set(crossing)),
        "rules": rules,
    }


def summary(runs: list[dict]) -> list[dict]:
    """Each rule's figures averaged over the seeds (a figure a rule cannot have stays empty)."""
    rows = []
    for rule in RULES:
        per_seed = [next(f for f in run["rules"] if f.rule == rule) for run in runs]
        row = {"rule": rule, "truth": per_seed[0].truth or "not planted"}
        for name in ("flagged", "precision", "recall", "alerts_per_100_pupils_per_term", "raises_per_flagged_pupil",
                     "median_lead_days", "p10_lead_days"):  # fmt: skip
            values = [getattr(figures, name) for figures in per_seed if getattr(figures, name) is not None]
            row[name] = round(statistics.mean(values), 0 if name == "flagged" else 2) if values else None
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
