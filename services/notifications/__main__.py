"""python -m services.notifications: serve (consume, dispatch, the delivery log API), or manage operator tokens."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError
from sqlmodel import Session, select

from services.notifications import delivery_log
from services.notifications.app import create_app, open_database
from services.notifications.directory import NewRecipient, add_recipient, remove_recipient
from services.notifications.models import Channel, Delivery, ParentMessage, Recipient, TimingPreference
from services.notifications.operators import DEFAULT_VALID_DAYS, issue_operator_token, list_operators, revoke_operator
from services.notifications.parent_rounds import NewParentPlan, save_plan
from services.notifications.routing import RecipientRole
from services.notifications.settings import Settings, get_settings, notify_settings, smtp_settings, teams_settings
from shared.invalid import every_problem
from shared.logging import configure_logging
from shared.problems import DomainError
from shared.settings import kafka_settings

cli = typer.Typer(help="Notifications: the recipient directory, deliveries and the delivery log.", no_args_is_help=True)


def _database():
    return open_database(Settings())


@cli.command()
def serve() -> None:
    """Consume alerts, dispatch deliveries and serve the delivery log."""
    configure_logging("notifications")
    settings = get_settings()
    uvicorn.run(
        create_app(settings, kafka_settings(), smtp_settings(), notify_settings(), teams_settings()),
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


def _checked(model, **fields):
    """The model, or exit 2 with what is wrong in words."""
    try:
        return model(**fields)
    except ValidationError as error:
        typer.echo(every_problem(error), err=True)
        raise typer.Exit(2) from None


@cli.command("add-recipient")
def add_recipient_command(
    name: Annotated[str, typer.Option(help="Who this is (a member of staff, a team, a provider's contact)")],
    role: Annotated[RecipientRole, typer.Option(help="What they hear about (who_hears.toml routes by role)")],
    channel: Annotated[Channel, typer.Option(help="How they hear")],
    address: Annotated[str, typer.Option(help="Email address, UK mobile number or Teams webhook URL")],
    school_urn: Annotated[str | None, typer.Option(help="Their school; leave out for the LA's people")] = None,
    year_group: Annotated[int | None, typer.Option(help="A head of year's year group")] = None,
    staff_id: Annotated[int | None, typer.Option(help="A lead practitioner's staff id in referrals")] = None,
    provider_id: Annotated[int | None, typer.Option(help="A provider contact's provider id")] = None,
    timing: Annotated[
        TimingPreference, typer.Option(help="as_routed, digest or immediate")
    ] = TimingPreference.AS_ROUTED,
    quiet_hours: Annotated[str | None, typer.Option(help="HH:MM-HH:MM local, e.g. 18:00-07:30")] = None,
) -> None:
    """Add someone to the recipient directory."""
    entry = _checked(
        NewRecipient, name=name, role=role, channel=channel, address=address, school_urn=school_urn,
        year_group=year_group, staff_id=staff_id, provider_id=provider_id, timing=timing, quiet_hours=quiet_hours,
    )  # fmt: skip
    with Session(_database()) as session:
        typer.echo(add_recipient(session, entry).id)


@cli.command("list-recipients")
def list_recipients_command(school_urn: Annotated[str | None, typer.Option(help="Only this school's")] = None) -> None:
    """The active directory: id, school (or LA), role, name, channel, timing."""
    with Session(_database()) as session:
        query = select(Recipient).where(Recipient.active).order_by(Recipient.school_urn, Recipient.role, Recipient.id)
        if school_urn:
            query = query.where(Recipient.school_urn == school_urn)
        for row in session.exec(query):
            year = f" (year {row.year_group})" if row.year_group is not None else ""
            typer.echo(f"{row.id}\t{row.school_urn or 'LA'}\t{row.role}{year}\t{row.name}\t{row.channel}\t{row.timing}")


@cli.command("remove-recipient")
def remove_recipient_command(recipient_id: Annotated[int, typer.Argument(help="The directory id")]) -> None:
    """Take someone out of the directory (kept, inactive, so the log still says who was sent what)."""
    with Session(_database()) as session:
        try:
            remove_recipient(session, recipient_id)
        except DomainError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(1) from None
    typer.echo(f"removed {recipient_id}")


@cli.command("list-failed")
def list_failed_command() -> None:
    """Deliveries failed for good (dead-lettered): id, channel, tries, the channel's last answer."""
    with Session(_database()) as session:
        for row in session.exec(select(Delivery).where(Delivery.id.in_(delivery_log.failed_ids(session)))):
            typer.echo(f"{row.id}\t{row.channel}\t{row.kind}\t{row.attempts}\t{row.last_error or ''}")


@cli.command()
def resend(
    delivery_id: Annotated[int | None, typer.Argument(help="One failed delivery")] = None,
    all_failed: Annotated[bool, typer.Option("--all-failed", help="Every failed delivery")] = False,
) -> None:
    """Send failed deliveries again (the running service picks them up)."""
    with Session(_database()) as session:
        ids = delivery_log.failed_ids(session) if all_failed else [delivery_id] if delivery_id is not None else []
        if not ids:
            typer.echo("name a delivery id or --all-failed", err=True)
            raise typer.Exit(2)
        for one in ids:
            try:
                delivery_log.resend(session, one)
            except DomainError as error:
                typer.echo(str(error), err=True)
                raise typer.Exit(1) from None
    typer.echo(f"resending {len(ids)} deliver{'y' if len(ids) == 1 else 'ies'}")


@cli.command("parent-plan")
def parent_plan_command(
    school_urn: Annotated[str, typer.Option(help="The school")],
    rules: Annotated[str, typer.Option(help="Comma-separated alert rules, e.g. persistent_absence")],
    wording: Annotated[str, typer.Option(help="The school's words, with {days_missed}; never a percentage")],
    hold_back_share: Annotated[float, typer.Option(help="Share held back at random for evaluation, 0 to 0.9")] = 0.0,
    seed: Annotated[str, typer.Option(help="Seed of the hold-back's hash")] = "",
    send_at: Annotated[str, typer.Option(help="Local time on the half-term's first school day")] = "10:00",
    active: Annotated[bool, typer.Option(help="Off to pause the plan")] = True,
) -> None:
    """Message flagged pupils' parents at the start of each half-term (through GOV.UK Notify)."""
    plan = _checked(NewParentPlan, rules=rules, wording=wording, hold_back_share=hold_back_share, seed=seed,
                    send_at=send_at, active=active)  # fmt: skip
    with Session(_database()) as session:
        save_plan(session, school_urn, plan)
    typer.echo(f"saved the parent-message plan of {school_urn}")


@cli.command("export-parent-messages")
def export_parent_messages(out: Annotated[Path, typer.Option(help="CSV file to write")]) -> None:
    """Every flagged pupil's arm and days missed, round by round (pseudonymous ids), for evaluation."""
    with Session(_database()) as session, out.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["school_urn", "pupil_id", "half_term_start", "arm", "rules", "days_missed", "possible_sessions"]
        )
        for row in session.exec(select(ParentMessage).order_by(ParentMessage.half_term_start, ParentMessage.id)):
            writer.writerow([row.school_urn, row.pupil_id, row.half_term_start, row.arm, row.rules, row.days_missed,
                             row.possible_sessions])  # fmt: skip
    typer.echo(out)


@cli.command()
def migrate() -> None:
    """Bring the database to the latest schema (serving does this on start too)."""
    _database().dispose()
    typer.echo("database is at the latest schema")


if __name__ == "__main__":
    cli()
