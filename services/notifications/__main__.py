"""python -m services.notifications: serve (consume, dispatch, the delivery log API), or manage operator tokens."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from services.notifications.app import create_app, open_database
from services.notifications.operators import DEFAULT_VALID_DAYS, issue_operator_token, list_operators, revoke_operator
from services.notifications.settings import Settings, get_settings, smtp_settings
from shared.logging import configure_logging
from shared.settings import kafka_settings

cli = typer.Typer(help="Notifications: deliveries and the delivery log.", no_args_is_help=True)


def _database():
    return open_database(Settings())


@cli.command()
def serve() -> None:
    """Consume alerts, dispatch deliveries and serve the delivery log."""
    configure_logging("notifications")
    settings = get_settings()
    uvicorn.run(
        create_app(settings, kafka_settings(), smtp_settings()),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )


@cli.command("issue-operator-token")
def issue_operator_token_command(
    name: Annotated[str, typer.Option(help="Who this is")],
    valid_days: Annotated[int, typer.Option(min=1, max=366, help="Days until the token expires")] = DEFAULT_VALID_DAYS,
) -> None:
    """A token for the operations role (reads the delivery log). Printed once; stored hashed."""
    typer.echo(issue_operator_token(_database(), name, valid_days))


@cli.command("revoke-operator")
def revoke_operator_command(name: Annotated[str, typer.Option(help="The operator's name")]) -> None:
    """Revoke every live token of an operator."""
    revoked = revoke_operator(_database(), name)
    if not revoked:
        typer.echo(f"no live token for {name!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {revoked} token(s) of {name}")


@cli.command("list-operators")
def list_operators_command() -> None:
    """Operators and their token state (never the tokens)."""
    for operator in list_operators(_database()):
        state = (
            f"revoked {operator.revoked_at:%Y-%m-%d}"
            if operator.revoked_at
            else f"expires {operator.expires_at:%Y-%m-%d}"
        )
        typer.echo(f"{operator.id}\t{operator.name}\t{state}")


@cli.command()
def migrate() -> None:
    """Bring the database to the latest schema (serving does this on start too)."""
    _database().dispose()
    typer.echo("database is at the latest schema")


if __name__ == "__main__":
    cli()
