"""Jinja2 for the staff pages, with GOV.UK Frontend's macros (govuk-frontend-jinja) and our templates."""

from __future__ import annotations

from functools import cache

from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader, select_autoescape
from starlette.responses import HTMLResponse

from services.referrals.casework.catalogue import Stage, catalogue
from services.referrals.insight.figures import GROUPS
from services.referrals.insight.suppression import is_small
from shared.alert_titles import RULES, title
from shared.time import SCHOOL_TIMEZONE


@cache
def environment() -> Environment:
    # The GOV.UK macros test optional parameters by leaving them undefined, so undefined stays lenient.
    env = Environment(
        loader=ChoiceLoader(
            [
                PackageLoader("services.referrals.web", "templates"),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=select_autoescape(default=True),
    )
    env.filters["words"] = lambda code: (code or "").replace("_", " ")
    env.filters["intervention"] = lambda code: (
        catalogue().interventions[code].name if code in catalogue().interventions else code
    )
    env.filters["rule_title"] = title
    env.filters["alert_title"] = lambda alert: title(alert.rule, alert.band)
    env.filters["day"] = lambda value: "" if value is None else f"{value:%-d %b %Y}"
    env.filters["clock"] = lambda moment: f"{moment.astimezone(SCHOOL_TIMEZONE):%H:%M}"
    env.filters["figure"] = lambda value: "–" if value is None else value if isinstance(value, str) else f"{value:,}"
    # "c" is a suppressed figure, shown as it is.
    env.filters["percent"] = lambda value: "–" if value is None else value if isinstance(value, str) else f"{value:.1%}"
    env.filters["points"] = lambda value: f"{value * 100:+.1f} points"
    env.filters["group_name"] = lambda group: GROUPS.get(group, group)
    env.tests["small"] = is_small
    env.filters["small_as_c"] = lambda count, suppressed: "c" if suppressed and is_small(count) else f"{count:,}"
    env.globals.update(
        active=None,
        error=None,
        notice=None,
        selected=selected,
        intervention_items=[{"value": code, "text": i.name} for code, i in catalogue().interventions.items()],
        rule_items=[{"value": rule, "text": title(rule)} for rule in RULES],
        year_items=[
            {"value": str(year), "text": "Reception" if year == 0 else f"Year {year}"} for year in range(0, 14)
        ],
        stage_items=lambda current=None: selected(
            [{"value": s.value, "text": s.replace("_", " ")} for s in Stage], current
        ),
    )
    return env


def selected(items: list[dict], value) -> list[dict]:
    """GOV.UK select items with the current value marked."""
    return [{**item, "selected": value is not None and str(item["value"]) == str(value)} for item in items]


def render(template: str, status: int = 200, **context) -> HTMLResponse:
    return HTMLResponse(environment().get_template(template).render(**context), status_code=status)
