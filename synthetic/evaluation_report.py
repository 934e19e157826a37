"""The evaluation's targets, its lead-time chart (SVG) and its HTML report."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from services.risk_engine.decline import RULE as DECLINE
from synthetic import best_possible

BIN_DAYS = 10
SERIES_COLOURS = {"attendance_decline": "#1d70b8", "strong_attendance_decline": "#d4351c"}


@dataclass(frozen=True)
class Target:
    name: str
    measured: str
    target: str
    met: bool


def targets(rows: list[dict], runs: list[dict], prior: dict | None, seconds_per_run: float) -> list[Target]:
    """Issue #14's targets beside what was measured (means over the seeds)."""
    pupils = runs[0]["pupils"]
    decline = next(row for row in rows if row["rule"] == "attendance_decline")
    before_february = [run["decline_alerts_before_february_half_term"] for run in runs]
    found = [
        Target(
            "attendance_decline precision", _figure(decline["precision"]), "≥ 0.8", (decline["precision"] or 0) >= 0.8
        ),
        Target("attendance_decline recall", _figure(decline["recall"]), "≥ 0.95", (decline["recall"] or 0) >= 0.95),
        Target(
            "median lead before PA onset (school days)",
            _figure(decline["median_lead_days"]),
            "≥ 20",
            (decline["median_lead_days"] or 0) >= 20,
        ),
        Target(
            "decline alerts before the February half-term, no prior year",
            f"{min(before_february)}-{max(before_february)} a seed; first on "
            + ", ".join(run["first_decline_alert"] or "never" for run in runs),
            "possible",
            min(before_february) > 0,
        ),
        Target(
            f"a borough-year evaluated ({pupils:,} pupils here; the target is for 5,000)",
            f"{seconds_per_run:.0f} s",
            "< 300 s",
            seconds_per_run < 300 and pupils >= 5000,
        ),
    ]
    if prior:
        found.append(
            Target(
                "with last year loaded: decline alerts in the first half-term of autumn",
                f"{prior['decline_alerts_before_october_half_term']} (first on {prior['first_decline_alert']})",
                "possible",
                prior["decline_alerts_before_october_half_term"] > 0,
            )
        )
    return found


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def targets_table(found: list[Target]) -> str:
    lines = ["| Target | Measured | Wanted | Met |", "|---|---|---|---|"]
    lines += [f"| {t.name} | {t.measured} | {t.target} | {'yes' if t.met else 'no'} |" for t in found]
    return "\n".join(lines)


def lead_time_svg(leads: dict[str, Sequence[int]], width: int = 640, height: int = 260) -> str:
    """A histogram of lead times per rule, in bins of 10 school days (negative: alerted after the
    pupil had already crossed 10%)."""
    values = [lead for series in leads.values() for lead in series]
    if not values:
        return _svg(width, height, '<text x="20" y="40">No decliner was alerted.</text>')
    low = (min(values) // BIN_DAYS) * BIN_DAYS
    high = (max(values) // BIN_DAYS + 1) * BIN_DAYS
    bins = list(range(low, high, BIN_DAYS))
    counts = {rule: [sum(b <= lead < b + BIN_DAYS for lead in series) for b in bins] for rule, series in leads.items()}
    tallest = max(max(series) for series in counts.values()) or 1
    left, bottom, top = 40, height - 50, 30
    slot = (width - left - 10) / len(bins)
    bar = slot / (len(leads) + 1)
    parts = [f'<text x="{left}" y="18" font-size="13">Decliners by lead time before they first cross 10% '
             "absence (school days)</text>"]  # fmt: skip
    for index, start in enumerate(bins):
        x = left + index * slot
        parts.append(
            f'<text x="{x + slot / 2:.0f}" y="{bottom + 16}" font-size="10" text-anchor="middle">{start}</text>'
        )
        for series_index, (rule, series) in enumerate(counts.items()):
            bar_height = (bottom - top) * series[index] / tallest
            parts.append(
                f'<rect x="{x + series_index * bar:.1f}" y="{bottom - bar_height:.1f}" width="{bar:.1f}" '
                f'height="{bar_height:.1f}" fill="{SERIES_COLOURS.get(rule, "#505a5f")}">'
                f"<title>{rule}: {series[index]} from {start} to {start + BIN_DAYS - 1} days</title></rect>"
            )
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="#0b0c0c"/>')
    parts.append(f'<text x="{left - 6}" y="{top + 4}" font-size="10" text-anchor="end">{tallest}</text>')
    parts.append(f'<text x="{left - 6}" y="{bottom}" font-size="10" text-anchor="end">0</text>')
    for series_index, rule in enumerate(counts):
        y = height - 14
        x = left + series_index * 230
        colour = SERIES_COLOURS.get(rule, "#505a5f")
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{y}" font-size="11">{rule} ({len(leads[rule])} decliners)</text>')
    return _svg(width, height, "".join(parts))


def _svg(width: int, height: int, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="Lead times of the decline rules" font-family="Arial, sans-serif">{body}</svg>\n'
    )


def html_report(sections: list[tuple[str, str]], chart: str) -> str:
    """A self-contained page: each (heading, markdown table) section, and the chart."""
    body = "".join(f"<h2>{html.escape(heading)}</h2>{_table_html(table)}" for heading, table in sections)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Early warning evaluation</title>'
        "<style>body{font-family:Arial,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;"
        "margin-bottom:1em}td,th{border:1px solid #b1b4b6;padding:4px 8px;text-align:left}</style></head><body>"
        "<h1>Early warning measured against planted truth</h1>"
        f"<h2>Lead times</h2>{chart}{body}</body></html>\n"
    )


def _table_html(markdown: str) -> str:
    """The few markdown tables this report prints, as HTML (text lines become paragraphs)."""
    out, rows = [], []
    for line in markdown.splitlines():
        if line.startswith("|"):
            if not set(line) <= set("|-"):
                rows.append([html.escape(cell.strip()) for cell in line.strip("|").split("|")])
            continue
        if rows:
            out.append(_rows_html(rows))
            rows = []
        if line.strip():
            out.append(f"<p>{html.escape(line)}</p>")
    if rows:
        out.append(_rows_html(rows))
    return "".join(out)


def _rows_html(rows: list[list[str]]) -> str:
    head = "".join(f"<th>{cell}</th>" for cell in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


HYSTERESIS_RULES = ("persistent_absence", "unauthorised_10_in_10", DECLINE)


def churn_table(without: list[dict], with_hysteresis: list[dict], lines: str) -> str:
    """Raises per flagged pupil and alert volume of the ladder, the 10-in-10 rule and attendance_decline,
    with hysteresis off (the DfE definitions, and the decline rule exact under disorder) and on."""
    out = [f"Hysteresis on: {lines}.", "", "| Rule | Raises per flagged pupil, off → on | Alerts /100 pupils /term, "
           "off → on | Flagged, off → on |", "|---|---|---|---|"]  # fmt: skip
    for rule in HYSTERESIS_RULES:
        off = next(row for row in without if row["rule"] == rule)
        on = next(row for row in with_hysteresis if row["rule"] == rule)
        out.append(
            f"| {rule} | {off['raises_per_flagged_pupil']} → {on['raises_per_flagged_pupil']} | "
            f"{off['alerts_per_100_pupils_per_term']} → {on['alerts_per_100_pupils_per_term']} | "
            f"{off['flagged']} → {on['flagged']} |"
        )
    return "\n".join(out)


def shapes_table(runs: list[dict]) -> str:
    """attendance_decline's recall per planted shape of decline, per seed."""
    shapes = sorted({shape for run in runs for shape in run["decline_recall_by_shape"]})
    out = ["| Shape | " + " | ".join(f"seed {run['seed']}" for run in runs) + " |", "|---|" + "---|" * len(runs)]
    for shape in shapes:
        cells = [str(run["decline_recall_by_shape"].get(shape, "—")) for run in runs]
        out.append(f"| {shape} | " + " | ".join(cells) + " |")
    return "\n".join(out)


TIMING_COLUMNS = (
    ("median_first_alert_after_onset_days", "First alert, school days after the slide starts (median)"),
    ("median_onset_to_crossing_days_of_those_found", "Slide start to 10%, the decliners it found (median)"),
    ("median_onset_to_crossing_days", "Slide start to 10%, every decliner who crosses (median)"),
    ("share_crossing_within_20_days_of_onset", "Share crossing 10% within 20 school days of the start"),
    ("median_lead_days", "Lead before 10% (median)"),
)


def timing_table(runs: list[dict], by: str = "decline_timing", heading: str = "Rule") -> str:
    """When the planted slides are found against when they start and cross 10%, per decline rule (or,
    with `by="decline_timing_by_shape"`, per shape of slide for attendance_decline): means over the
    seeds of each seed's median or share, a seed without a figure left out."""
    titles = " | ".join(title for _, title in TIMING_COLUMNS)
    out = [f"| {heading} | {titles} |", "|---|" + "---|" * len(TIMING_COLUMNS)]
    for row in sorted({row for run in runs for row in run[by]}):
        cells = []
        for key, _ in TIMING_COLUMNS:
            values = [run[by][row][key] for run in runs if row in run[by] and run[by][row].get(key) is not None]
            cells.append(f"{sum(values) / len(values):.2f}".rstrip("0").rstrip(".") if values else "—")
        out.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def best_possible_table(runs: list[dict], rows: list[dict]) -> str:
    """The oracle's best operating points (means over the seeds) beside attendance_decline's figures."""
    points = best_possible.mean_points([run["best_possible"] for run in runs])
    out = ["| | Rise it looks for | Threshold | Flagged | Precision | Recall | Decliners' median lead |",
           "|---|---|---|---|---|---|---|"]  # fmt: skip
    for chosen, point in best_possible.best_points(points).items():
        if point is None:
            out.append(f"| the oracle, {chosen} | none of its points | | | | | |")
            continue
        figures = [_figure(point.precision), _figure(point.recall), _figure(point.median_lead_days)]
        out.append(f"| the oracle, {chosen} | {point.shift:.0%} | {point.threshold} | {point.flagged} | "
                   + " | ".join(figures) + " |")  # fmt: skip
    rule = next(row for row in rows if row["rule"] == DECLINE)
    out.append(f"| {DECLINE} | | | {rule['flagged']:.0f} | {_figure(rule['precision'])} | {_figure(rule['recall'])} | "
               f"{_figure(rule['median_lead_days'])} |")  # fmt: skip
    return "\n".join(out)
