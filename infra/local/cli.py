"""`ews`: run the whole system locally on its embedded defaults."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NamedTuple

import typer
from honcho.manager import Manager
from honcho.printer import Printer
from sqlmodel import Session, select

from infra.local.broker import BrokerFailed, embedded_broker
from infra.local.digest_preview import write_preview
from infra.local.processes import PORTS, mailbox_command, service_commands, service_env
from infra.local.screenshots import capture, capture_borough, capture_html
from infra.local.status import status_line
from services.ingest.app import open_database as open_ingest
from services.ingest.keys import issue_key
from services.ingest.settings import KeyStoreSettings
from services.notifications.app import open_database as open_notifications
from services.notifications.directory import NewRecipient, add_recipient
from services.notifications.models import Channel, Recipient
from services.notifications.operators import issue_operator_token
from services.notifications.routing import RecipientRole
from services.notifications.settings import Settings as NotificationsSettings
from services.referrals.app import open_database as open_referrals
from services.referrals.insight import readings
from services.referrals.settings import Settings as ReferralsSettings
from services.referrals.staff import Role, add_staff, list_staff
from services.referrals.web import reports
from services.referrals.web.reports import ReportKind
from services.referrals.web.sessions import sign_in_url
from shared.events import utcnow
from shared.kafka import create_topics
from shared.logging import configure_logging
from shared.periodic import Every
from shared.settings import EmbeddedBrokerSettings, data_settings, kafka_settings
from shared.time import school_today
from synthetic.borough import school_urns
from synthetic.feed import FeedPlan

cli = typer.Typer(help="Attendance early warning: local commands.", no_args_is_help=True)


def _kept_secret(name: str, make: Callable[[], str]) -> str:
    """A demo credential made once and kept (mode 600) in the data folder, never in the repository."""
    path = data_settings().data_dir / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


class DemoCredentials(NamedTuple):
    staff: str  # an LA attendance officer's token for the staff API
    connector: str  # a connector key for the synthetic feed
    operator: str  # an operations token for the delivery log


DEMO_LEAD = "Demo attendance lead"  # school staff at the borough's first school, for the staff pages
DEMO_OFFICER = "Demo LA officer"  # the borough's attendance officer: the API's demo token and the LA pages


def _demo_credentials(env: dict[str, str]) -> DemoCredentials:
    staff = _kept_secret(
        "demo-la-officer.token",
        lambda: add_staff(
            open_referrals(ReferralsSettings(database_url=env["REFERRALS_DATABASE_URL"])),
            DEMO_OFFICER,
            Role.LA_ATTENDANCE_OFFICER,
            None,
        ),
    )
    connector = _kept_secret(
        "demo-connector.key",
        lambda: issue_key(
            open_ingest(KeyStoreSettings(database_url=env["INGEST_DATABASE_URL"])),
            "synthetic-borough",
            school_urns(FeedPlan.schools),
        ),
    )
    operator = _kept_secret(
        "demo-operator.token",
        lambda: issue_operator_token(
            open_notifications(NotificationsSettings(database_url=env["NOTIFICATIONS_DATABASE_URL"])), "Demo operator"
        ),
    )
    _demo_directory(open_notifications(NotificationsSettings(database_url=env["NOTIFICATIONS_DATABASE_URL"])))
    referrals = open_referrals(ReferralsSettings(database_url=env["REFERRALS_DATABASE_URL"]))
    if not any(member.name == DEMO_LEAD for member in list_staff(referrals)):
        add_staff(referrals, DEMO_LEAD, Role.SCHOOL_STAFF, school_urns(FeedPlan.schools)[0])
    return DemoCredentials(staff, connector, operator)


def _demo_directory(engine) -> None:
    """Each school's attendance lead and the LA's attendance team and CME officer, by email to the
    local mail server, the first time the demo runs. The leads hear at once rather than in a 16:00
    digest: the demo's school days pass in seconds (`ews digest-preview` shows a digest)."""
    with Session(engine) as session:
        if session.exec(select(Recipient)).first() is not None:
            return
        for urn in school_urns(FeedPlan.schools):
            add_recipient(session, NewRecipient(name=f"Attendance lead {urn}", role=RecipientRole.ATTENDANCE_LEAD,
                                                school_urn=urn, channel=Channel.EMAIL, timing="immediate",
                                                address=f"attendance-lead-{urn}@schools.invalid"))  # fmt: skip
        for role, address in ((RecipientRole.LA_ATTENDANCE_OFFICER, "attendance-team@la.invalid"),
                              (RecipientRole.CME_OFFICER, "cme-officer@la.invalid")):  # fmt: skip
            add_recipient(session, NewRecipient(name=role.replace("_", " ").capitalize(), role=role,
                                                channel=Channel.EMAIL, address=address))  # fmt: skip


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
    broker = None if external else embedded_broker(kafka, EmbeddedBrokerSettings(), data_dir)
    urls = {name: f"http://127.0.0.1:{os.environ.get(setting, default)}" for name, (setting, default) in PORTS.items()}
    try:
        if broker is not None:
            broker.start()
        env = {**os.environ, **service_env(data_dir, kafka.bootstrap_servers, smtp_port)}
        credentials = _demo_credentials(env)
        manager = Manager(Printer(sys.stdout))
        _add_processes(
            manager,
            env,
            credentials,
            urls,
            data_dir=data_dir,
            smtp_port=smtp_port,
            day_seconds=day_seconds if feed else None,
        )
        _welcome(credentials, urls, data_dir, env)
        status = Every(5.0, lambda: typer.echo(status_line(urls)), name="status")
        status.start()
        manager.loop()
        status.stop()
    except BrokerFailed as error:
        typer.echo(f"the embedded broker did not start: {error}", err=True)
        raise typer.Exit(1) from error
    finally:
        if broker is not None:
            broker.stop()
    raise typer.Exit(manager.returncode or 0)


def _add_processes(
    manager: Manager,
    env: dict[str, str],
    credentials: DemoCredentials,
    urls: dict[str, str],
    *,
    data_dir: Path,
    smtp_port: int,
    day_seconds: float | None,
) -> None:
    """The mail server, the four services and (with a day length) the synthetic feed and casework."""
    manager.add_process("mail", shlex.join(mailbox_command(data_dir, smtp_port)), env=env)
    for name, command in service_commands().items():
        manager.add_process(name, shlex.join(command), env=env)
    if day_seconds is None:
        return
    python = sys.executable
    feed = [python, "-m", "synthetic", "feed", "--day-seconds", str(day_seconds), "--stay", "--no-progress"]
    manager.add_process("feed", shlex.join(feed), env={**env, "INGEST_API_KEY": credentials.connector})
    casework = [python, "-m", "synthetic", "casework", "--referrals-url", urls["referrals"]]
    manager.add_process("casework", shlex.join(casework), env={**env, "REFERRALS_TOKEN": credentials.staff})


def _welcome(credentials: DemoCredentials, urls: dict[str, str], data_dir: Path, env: dict[str, str]) -> None:
    token, operator = credentials.staff, credentials.operator
    referrals = open_referrals(ReferralsSettings(database_url=env["REFERRALS_DATABASE_URL"]))
    links = {name: sign_in_url(referrals, urls["referrals"], name, minutes=240) for name in (DEMO_LEAD, DEMO_OFFICER)}
    typer.echo(
        f"\nStaff pages: {links[DEMO_LEAD]}\n"
        f"             (a school's attendance lead; the borough's LA officer: {links['Demo LA officer']})\n"
        f"             one-time links, for 4 hours; more: python -m services.referrals sign-in-link --name ...\n"
        f"Alerts:      curl -H 'Authorization: Bearer {token}' {urls['referrals']}/v1/alerts?status=open\n"
        f"Cases:       curl -H 'Authorization: Bearer {token}' {urls['referrals']}/v1/cases\n"
        f"KPIs:        curl -H 'Authorization: Bearer {token}' {urls['referrals']}/v1/kpis\n"
        f"Deliveries:  curl -H 'Authorization: Bearer {operator}' {urls['notifications']}/v1/deliveries\n"
        f"Emails:      {data_dir}/mail/new\n"
        "Logs are readable lines (LOG_FORMAT=json for JSON); a status line follows every 5 s.\n"
        "Ctrl-C stops everything.\n"
    )


@cli.command()
def screenshots(out: Annotated[Path, typer.Option(help="Where to write the images")] = Path("docs/images")) -> None:
    """Photograph the staff pages of the running demo (ews run) as its attendance lead sees them."""
    env = service_env(data_settings().data_dir, kafka_settings().bootstrap_servers)
    referrals = open_referrals(ReferralsSettings(database_url=env["REFERRALS_DATABASE_URL"]))
    url = f"http://127.0.0.1:{os.environ.get(*PORTS['referrals'])}"
    link = sign_in_url(referrals, url, DEMO_LEAD, minutes=5)
    officer = sign_in_url(referrals, url, DEMO_OFFICER, minutes=5, next_path="/borough")
    if link is None or officer is None:
        raise typer.BadParameter("no demo staff: start the demo with `ews run` first")
    for path in capture(link, out):
        typer.echo(f"wrote {path}")
    typer.echo(f"wrote {capture_borough(officer, out)}")
    with Session(referrals) as session:
        day = readings.latest_day(session, school_today(utcnow()))
        report = reports.build(session, ReportKind.for_day(day), None, day)
        [html] = reports.write(report, data_settings().data_dir, pdf=False)
    capture_html(html, out / "report.png", first_page=True)
    typer.echo(f"wrote {out / 'report.png'} (from {html})")


@cli.command("digest-preview")
def digest_preview(out: Annotated[Path, typer.Option(help="Where to write the files")] = Path("docs/images")) -> None:
    """Render a head of year's daily digest as text, HTML and a screenshot of the HTML, for the README."""
    for path in write_preview(out):
        typer.echo(path)


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
    with embedded_broker(kafka_settings(), EmbeddedBrokerSettings(), data_dir):
        typer.echo(f"broker on {kafka_settings().bootstrap_servers}; Ctrl-C stops it")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


if __name__ == "__main__":
    cli()
