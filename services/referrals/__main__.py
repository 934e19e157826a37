"""python -m services.referrals: serve the API, or manage staff access."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlmodel import Session

from services.referrals.app import create_app, open_database
from services.referrals.insight import readings
from services.referrals.reconciliation.readings import reconciliation_as_of_now
from services.referrals.settings import Settings, get_settings
from services.referrals.staff import DEFAULT_VALID_DAYS, Role, add_staff, list_staff, revoke_staff
from services.referrals.web import reports
from services.referrals.web.reports import ReportKind
from services.referrals.web.sessions import sign_in_url
from shared.events import utcnow
from shared.logging import configure_logging
from shared.settings import kafka_settings
from shared.time import school_today

cli = typer.Typer(help="Referrals: cases, alerts and staff access.", no_args_is_help=True)


def _database():
    # Staff commands need only the database, wherever EWS_DATA_DIR or REFERRALS_DATABASE_URL put it.
    return open_database(Settings())


@cli.command()
def serve() -> None:
    """Serve the staff API and consume alerts."""
    configure_logging("referrals")
    settings = get_settings()
    uvicorn.run(
        create_app(settings, kafka_settings()),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )


@cli.command("add-staff")
def add_staff_command(
    name: Annotated[str, typer.Option(help="Who this is, for the audit log")],
    role: Annotated[Role, typer.Option(help="What they may see: school roles one school, LA roles the borough")],
    school_urn: Annotated[str | None, typer.Option(help="The school, for school roles")] = None,
    provider_id: Annotated[int | None, typer.Option(help="The provider, for provider staff")] = None,
    email: Annotated[str | None, typer.Option(help="How the school's identity provider names them")] = None,
    valid_days: Annotated[int, typer.Option(min=1, max=366, help="Days until the token expires")] = DEFAULT_VALID_DAYS,
) -> None:
    """Create a staff member and print their bearer token (shown once, stored hashed)."""
    try:
        token = add_staff(
            _database(), name, role, school_urn, provider_id=provider_id, email=email, valid_days=valid_days
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    typer.echo(token)


@cli.command("revoke-staff")
def revoke_staff_command(name: Annotated[str, typer.Option(help="The staff member's name, as in list-staff")]) -> None:
    """Revoke every live token of a staff member; their next request gets 401."""
    revoked = revoke_staff(_database(), name)
    if not revoked:
        typer.echo(f"no live token for {name!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {revoked} token(s) of {name}")


@cli.command("list-staff")
def list_staff_command() -> None:
    """Staff members, their role, school and token state (never the tokens)."""
    for staff in list_staff(_database()):
        state = f"revoked {staff.revoked_at:%Y-%m-%d}" if staff.revoked_at else f"expires {staff.expires_at:%Y-%m-%d}"
        typer.echo(f"{staff.id}\t{staff.name}\t{staff.role}\t{staff.school_urn or 'borough'}\t{state}")


@cli.command("sign-in-link")
def sign_in_link_command(
    name: Annotated[str, typer.Option(help="The staff member's name, as in list-staff")],
    minutes: Annotated[int, typer.Option(min=1, max=1440, help="How long the link works")] = 15,
) -> None:
    """Print a one-time link that signs the staff member in to the staff pages (local use and demos)."""
    url = sign_in_url(_database(), Settings().public_url, name, minutes=minutes)
    if url is None:
        typer.echo(f"no live staff member named {name!r}", err=True)
        raise typer.Exit(1)
    typer.echo(url)


@cli.command()
def report(
    kind: Annotated[ReportKind, typer.Option(help="mid-year (the review by April) or end-of-year (July)")],
    out: Annotated[Path, typer.Option(help="Folder to write the HTML and PDF files in")] = Path("reports"),
    school_urn: Annotated[
        list[str] | None, typer.Option(help="One school (repeat for more); default the borough")
    ] = None,
    each_school: Annotated[bool, typer.Option(help="The borough's report and one for every school")] = False,
    as_of: Annotated[
        str | None, typer.Option(help="The day the figures are for (YYYY-MM-DD; default today, or the last day marked)")
    ] = None,
    pdf: Annotated[bool, typer.Option(help="Print each to PDF with Debian's chromium as well")] = True,
) -> None:
    """Write the mid-year review or the end-of-year impact evaluation, with small numbers suppressed."""
    engine = _database()
    with Session(engine) as session:
        day = dt.date.fromisoformat(as_of) if as_of else readings.latest_day(session, school_today(utcnow()))
        schools = list(school_urn or [])
        if each_school:
            schools = [None, *sorted(readings.year_groups(session, None))]
        for school in schools or [None]:
            for path in reports.write(reports.build(session, kind, school, day), out, pdf=pdf):
                typer.echo(path)


@cli.command()
def registers(
    date: Annotated[str | None, typer.Option(help="The day (YYYY-MM-DD; default today, school time)")] = None,
    school_urn: Annotated[str | None, typer.Option(help="One school; default every school")] = None,
) -> None:
    """Daily reconciliation: each school-session with a pupil on roll unmarked, and which are overdue."""
    try:
        day = dt.date.fromisoformat(date) if date else None
    except ValueError as error:
        raise typer.BadParameter(f"{date!r} is not a date (YYYY-MM-DD)", param_hint="--date") from error
    schools = frozenset({school_urn}) if school_urn else None
    with Session(_database()) as session:
        result = reconciliation_as_of_now(session, Settings().register_deadlines, day, schools)
    typer.echo(f"{result.date}: {len(result.sessions)} school-sessions, {len(result.gaps)} with pupils unmarked, "
               f"{len(result.overdue)} overdue")  # fmt: skip
    for school in result.gaps:
        late = "  OVERDUE" if (school.school_urn, school.session) in result.overdue else ""
        typer.echo(f"{school.school_urn} {school.session}: {school.marked}/{school.on_roll} marked{late}")
    raise typer.Exit(1 if result.overdue else 0)


@cli.command()
def migrate() -> None:
    """Bring the database to the latest schema (serving does this on start too)."""
    _database().dispose()
    typer.echo("database is at the latest schema")


if __name__ == "__main__":
    cli()
