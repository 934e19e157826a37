"""python -m synthetic feed: publish a synthetic school year to ingest."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import httpx
import typer
from pydantic import ValidationError

from services.ingest.connectors.client import IngestRefused, ingest_client
from services.risk_engine.rules import Thresholds
from services.risk_engine.settings import thresholds_with_decline_windows
from shared.invalid import every_problem
from shared.logging import configure_logging
from synthetic import evaluation_suite
from synthetic.borough import school_urns
from synthetic.casework import CaseworkActor, CaseworkPlan
from synthetic.feed import FeedPlan, run_feed

cli = typer.Typer(help="The synthetic borough.", no_args_is_help=True)


@cli.callback()
def main() -> None:
    """Keeps `feed` a subcommand, so more can join it."""


@cli.command()
def evaluate(
    seeds: Annotated[list[int], typer.Option("--seed", help="One borough-year per seed")] = [1, 2, 3],  # noqa: B006
    schools: Annotated[int, typer.Option(min=1, max=200)] = 10,
    pupils_per_school: Annotated[int, typer.Option(min=1, max=999)] = 500,
    prior_year_pupils_per_school: Annotated[
        int, typer.Option(min=0, max=999, help="The run with last year loaded (0: skip it)")
    ] = 100,
    last_year: Annotated[
        bool, typer.Option(help="Run each seed again with last year's marks loaded first (about twice as long)")
    ] = False,
    out: Annotated[Path, typer.Option(help="Where the figures go, as JSON")] = Path("evaluation.json"),
    report: Annotated[Path, typer.Option(help="The HTML report")] = Path("evaluation.html"),
    chart: Annotated[Path, typer.Option(help="The lead-time chart, as SVG")] = Path("lead-times.svg"),
    decline_windows: Annotated[
        str, typer.Option(help="attendance_decline's windows in school days, e.g. 30,45 (default: the engine's)")
    ] = "",
) -> None:
    """Precision, recall, lead time, alert volume and churn of each rule against the truth the
    generator planted, on seeded borough-years run through the pure engine; hysteresis, last
    year's marks and the risk score's ranking beside them."""
    thresholds = Thresholds()
    if decline_windows:
        try:
            thresholds = thresholds_with_decline_windows(decline_windows)
        except ValidationError as error:
            said = f"{decline_windows!r}: {every_problem(error)}"
            raise typer.BadParameter(said, param_hint="--decline-windows") from error
    plan = evaluation_suite.Plan(
        seeds, schools, pupils_per_school, prior_year_pupils_per_school, last_year=last_year, thresholds=thresholds
    )
    found = evaluation_suite.run(plan, echo=lambda line: typer.echo(line, err=True))
    typer.echo(evaluation_suite.write(found, out, report, chart))


@cli.command()
def feed(
    api_key: Annotated[
        str, typer.Option(envvar="INGEST_API_KEY", help="Connector key scoped to the borough's schools")
    ],
    ingest_url: Annotated[str, typer.Option(help="Base URL of the ingest API")] = "http://127.0.0.1:8001",
    seed: Annotated[int, typer.Option(help="Same seed, same borough, same marks")] = FeedPlan.seed,
    schools: Annotated[int, typer.Option(min=1, max=200)] = FeedPlan.schools,
    pupils_per_school: Annotated[int, typer.Option(min=1, max=999)] = FeedPlan.pupils_per_school,
    day_seconds: Annotated[
        float, typer.Option(help="Wall seconds per school day (190 days a year)")
    ] = FeedPlan.day_seconds,
    stay: Annotated[
        bool, typer.Option(help="Keep running when done (the local supervisor stops everything when one process exits)")
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar (ews run prints a status line instead)")] = True,
) -> None:
    """Send a school year of AM/PM marks through POST /v1/marks, day by day."""
    configure_logging("synthetic-feed")
    plan = FeedPlan(seed=seed, schools=schools, pupils_per_school=pupils_per_school, day_seconds=day_seconds)
    try:
        with ingest_client(ingest_url, api_key) as client:
            sent = run_feed(client, plan, progress=progress)
    except IngestRefused as error:
        typer.echo(f"ingest refused the feed: {error}", err=True)
        raise typer.Exit(1) from error
    except httpx.HTTPError as error:
        typer.echo(f"cannot reach ingest at {ingest_url}: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"sent {sent} marks for {schools * pupils_per_school} pupils")
    if stay:
        signal.pause()


@cli.command()
def casework(
    token: Annotated[
        str, typer.Option(envvar="REFERRALS_TOKEN", help="An LA officer's token: works every school's cases")
    ],
    referrals_url: Annotated[str, typer.Option(help="Base URL of the referrals API")] = "http://127.0.0.1:8002",
    seed: Annotated[int, typer.Option(help="Same seed, same decisions")] = CaseworkPlan.seed,
    schools: Annotated[int, typer.Option(min=1, max=200)] = FeedPlan.schools,
    every_s: Annotated[float, typer.Option(help="Seconds between rounds over the open cases")] = CaseworkPlan.every_s,
) -> None:
    """Work the caseload as staff would: accept proposals, record consent or a decline, start and end support."""
    configure_logging("synthetic-casework")
    with httpx.Client(base_url=referrals_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        actor = CaseworkActor(client, CaseworkPlan(seed=seed, every_s=every_s))
        actor.ensure_providers(school_urns(schools))
        actor.run()


if __name__ == "__main__":
    cli()
