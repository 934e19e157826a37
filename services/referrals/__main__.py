"""python -m services.referrals: serve the API, or manage staff access."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from services.referrals.app import create_app, open_database
from services.referrals.auth import add_staff
from services.referrals.models import Role
from services.referrals.settings import get_settings
from shared.logging import configure_logging
from shared.settings import kafka_settings

cli = typer.Typer(help="Referrals: cases, alerts and staff access.", no_args_is_help=True)


@cli.command()
def serve() -> None:
    """Serve the staff API and consume alerts."""
    configure_logging("referrals")
    settings = get_settings()
    uvicorn.run(create_app(settings, kafka_settings()), host=settings.host, port=settings.port, log_config=None)


@cli.command("add-staff")
def add_staff_command(
    name: Annotated[str, typer.Option(help="Who this is, for the audit log")],
    role: Annotated[Role, typer.Option(help="school_staff sees one school; la_officer sees the borough")],
    school_urn: Annotated[str | None, typer.Option(help="The school, for school staff")] = None,
) -> None:
    """Create a staff member and print their bearer token (shown once, stored hashed)."""
    try:
        token = add_staff(open_database(get_settings()), name, role, school_urn)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    typer.echo(token)


if __name__ == "__main__":
    cli()
