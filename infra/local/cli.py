"""`ews`: run the whole system locally on its embedded defaults."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import sys
from typing import Annotated

import typer
from honcho.manager import Manager
from honcho.printer import Printer

from infra.local.broker import BrokerFailed, EmbeddedBroker
from infra.local.processes import mailbox_command, service_commands, service_env
from services.referrals.app import open_database
from services.referrals.auth import add_staff
from services.referrals.models import Role
from services.referrals.settings import Settings as ReferralsSettings
from shared.kafka import create_topics
from shared.logging import configure_logging
from shared.settings import EmbeddedBrokerSettings, data_settings, kafka_settings

cli = typer.Typer(help="Attendance early warning: local commands.", no_args_is_help=True)


def _demo_token(env: dict[str, str]) -> str:
    """An LA-officer token for the demo, made once and kept in the data folder."""
    path = data_settings().data_dir / "demo-la-officer.token"
    if not path.exists():
        engine = open_database(ReferralsSettings(database_url=env["REFERRALS_DATABASE_URL"]))
        path.write_text(add_staff(engine, "Demo LA officer", Role.LA_OFFICER, None))
        path.chmod(0o600)
    return path.read_text().strip()


@cli.command()
def run(
    feed: Annotated[bool, typer.Option(help="Feed the synthetic borough through ingest")] = True,
    day_seconds: Annotated[float, typer.Option(help="Wall seconds per synthetic school day")] = 0.5,
    smtp_port: Annotated[int, typer.Option(help="Port of the local mail server")] = 8025,
) -> None:
    """Start the broker (unless KAFKA_BOOTSTRAP_SERVERS is set), the four services, a mail server and the feed."""
    configure_logging("ews")
    data_dir = data_settings().data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    kafka = kafka_settings()
    external = "KAFKA_BOOTSTRAP_SERVERS" in os.environ
    broker = None if external else EmbeddedBroker(kafka, EmbeddedBrokerSettings(), data_dir)
    try:
        if broker is not None:
            broker.start()
        env = service_env(data_dir, kafka.bootstrap_servers, smtp_port)
        token = _demo_token(env)
        manager = Manager(Printer(sys.stdout))
        process_env = {**os.environ, **env}
        manager.add_process("mail", shlex.join(mailbox_command(data_dir, smtp_port)), env=process_env)
        for name, command in service_commands().items():
            manager.add_process(name, shlex.join(command), env=process_env)
        if feed:
            command = [sys.executable, "-m", "synthetic", "feed", "--day-seconds", str(day_seconds), "--stay"]
            manager.add_process("feed", shlex.join(command), env=process_env)
        referrals_port = os.environ.get("REFERRALS_PORT", "8002")
        notifications_port = os.environ.get("NOTIFICATIONS_PORT", "8003")
        typer.echo(
            f"\nAlerts:      curl -H 'Authorization: Bearer {token}' http://127.0.0.1:{referrals_port}/v1/alerts\n"
            f"Cases:       curl -H 'Authorization: Bearer {token}' http://127.0.0.1:{referrals_port}/v1/cases\n"
            f"Deliveries:  curl http://127.0.0.1:{notifications_port}/v1/deliveries    Emails: {data_dir}/mail/new\n"
            "Ctrl-C stops everything.\n"
        )
        manager.loop()
    except BrokerFailed as error:
        typer.echo(f"the embedded broker did not start: {error}", err=True)
        raise typer.Exit(1) from error
    finally:
        if broker is not None:
            broker.stop()
    raise typer.Exit(manager.returncode or 0)


@cli.command()
def topics() -> None:
    """Create every registry topic that is missing on KAFKA_BOOTSTRAP_SERVERS (production set-up)."""
    configure_logging("ews")
    created = create_topics(kafka_settings())
    typer.echo(f"created: {', '.join(created) or 'nothing, all topics exist'}")


@cli.command()
def broker() -> None:
    """Run only the embedded broker (with topics created) until Ctrl-C."""
    configure_logging("ews")
    data_dir = data_settings().data_dir
    with EmbeddedBroker(kafka_settings(), EmbeddedBrokerSettings(), data_dir):
        typer.echo(f"broker on {kafka_settings().bootstrap_servers}; Ctrl-C stops it")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


if __name__ == "__main__":
    cli()
