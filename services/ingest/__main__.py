"""python -m services.ingest: serve the API, manage connector keys, pull from Wonde."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from services.ingest.app import create_app, open_database
from services.ingest.connectors.cli import wonde_pull
from services.ingest.keys import issue_key, list_keys, revoke_key
from services.ingest.settings import KeyStoreSettings, get_settings
from shared.logging import configure_logging
from shared.settings import kafka_settings

cli = typer.Typer(help="Ingest: the API for MIS connectors.", no_args_is_help=True)
cli.command("wonde-pull")(wonde_pull)


def _database():
    return open_database(KeyStoreSettings())


@cli.command()
def serve() -> None:
    """Serve the ingest API."""
    configure_logging("ingest")
    settings = get_settings()
    uvicorn.run(
        "services.ingest.__main__:app_in_worker",
        factory=True,
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )


def app_in_worker():
    """The app as each uvicorn worker process builds it (a worker starts afresh: logging too)."""
    configure_logging("ingest")
    return create_app(get_settings(), kafka_settings())


@cli.command("issue-key")
def issue_key_command(
    name: Annotated[str, typer.Option(help="Connector name, unique, e.g. wonde-redcar")],
    school: Annotated[list[str], typer.Option(help="A school URN the key may publish for; repeat for more")],
) -> None:
    """Issue a connector API key scoped to schools. Printed once; only its hash is stored."""
    typer.echo(issue_key(_database(), name, school))


@cli.command("revoke-key")
def revoke_key_command(name: Annotated[str, typer.Option(help="Connector name")]) -> None:
    """Revoke a connector's key; its next request gets 401."""
    if not revoke_key(_database(), name):
        typer.echo(f"no live key named {name!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {name}")


@cli.command("list-keys")
def list_keys_command() -> None:
    """Connector names, their schools and whether they are revoked (never the keys)."""
    for key in list_keys(_database()):
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "live"
        typer.echo(f"{key.name}\t{state}\t{','.join(key.schools)}")


@cli.command()
def migrate() -> None:
    """Bring the database to the latest schema (serving does this on start too)."""
    _database().dispose()
    typer.echo("database is at the latest schema")


if __name__ == "__main__":
    cli()
