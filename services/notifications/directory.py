"""The recipient directory: who, at each school and at the LA, hears about what (by role), on which
channel, how often and when not. Managed by the operations role through the API and the CLI."""

from __future__ import annotations

import re
from collections import defaultdict

from pydantic import ConfigDict, field_validator, model_validator
from sqlmodel import Session, select

from services.notifications.models import Channel, Recipient, RecipientFields
from services.notifications.notices import Notice
from services.notifications.routing import RecipientRole
from services.notifications.schedule import QuietHours
from shared.problems import DomainError

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MOBILE = re.compile(r"^(\+44\s?7\d{3}|07\d{3})\s?\d{3}\s?\d{3}$")  # a UK mobile, as Notify takes them
WEBHOOK = re.compile(r"^https?://\S+$")
ADDRESS_FORMS = {
    Channel.EMAIL: (EMAIL, "an email address"),
    Channel.NOTIFY_EMAIL: (EMAIL, "an email address"),
    Channel.NOTIFY_SMS: (MOBILE, "a UK mobile number"),
    Channel.TEAMS: (WEBHOOK, "a Teams Workflows webhook URL (https://...)"),
}


SCHOOL_ROLES = (RecipientRole.ATTENDANCE_LEAD, RecipientRole.HEAD_OF_YEAR, RecipientRole.SAFEGUARDING_LEAD)


class NewRecipient(RecipientFields):
    """A directory entry as given: each role needs what identifies whom it covers."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("school_urn")
    @classmethod
    def _six_digits(cls, urn: str | None) -> str | None:
        if urn is not None and not re.fullmatch(r"\d{6}", urn):
            raise ValueError("school_urn must be the school's 6-digit URN")
        return urn

    @field_validator("quiet_hours")
    @classmethod
    def _hours(cls, quiet_hours: str | None) -> str | None:
        if quiet_hours is not None:
            QuietHours.parse(quiet_hours)
        return quiet_hours

    @model_validator(mode="after")
    def _complete_for_its_role(self) -> NewRecipient:
        pattern, form = ADDRESS_FORMS[self.channel]
        if not pattern.match(self.address):
            raise ValueError(f"address must be {form} for channel {self.channel}")
        if self.role.works_for_the_la and self.school_urn is not None:
            raise ValueError(f"role {self.role} works for the LA: leave school_urn out")
        if self.role in SCHOOL_ROLES and self.school_urn is None:
            raise ValueError(f"role {self.role} needs the school_urn it works at")
        needs = {
            RecipientRole.HEAD_OF_YEAR: ("year_group", self.year_group),
            RecipientRole.LEAD_PRACTITIONER: ("staff_id", self.staff_id),
            RecipientRole.PROVIDER_CONTACT: ("provider_id", self.provider_id),
        }
        if self.role in needs and needs[self.role][1] is None:
            raise ValueError(f"role {self.role} needs {needs[self.role][0]}")
        return self


class RecipientNotFound(DomainError):
    status = 404


def add_recipient(session: Session, entry: NewRecipient) -> Recipient:
    recipient = Recipient.model_validate(entry.model_dump())
    session.add(recipient)
    session.commit()
    session.refresh(recipient)
    return recipient


def remove_recipient(session: Session, recipient_id: int) -> Recipient:
    """Deactivated, not deleted: the delivery log still names who was sent what."""
    recipient = session.get(Recipient, recipient_id)
    if recipient is None or not recipient.active:
        raise RecipientNotFound(f"no active recipient {recipient_id}")
    recipient.active = False
    session.add(recipient)
    session.commit()
    return recipient


class Directory:
    """The active directory, read once for a consumed batch and indexed by how routes find people."""

    def __init__(self, recipients: list[Recipient]) -> None:
        self._by_school_role: dict[tuple[str | None, str], list[Recipient]] = defaultdict(list)
        self._by_staff: dict[int, list[Recipient]] = defaultdict(list)
        self._by_provider: dict[int, list[Recipient]] = defaultdict(list)
        for recipient in recipients:
            self._by_school_role[(recipient.school_urn, recipient.role)].append(recipient)
            if recipient.staff_id is not None:
                self._by_staff[recipient.staff_id].append(recipient)
            if recipient.provider_id is not None:
                self._by_provider[recipient.provider_id].append(recipient)

    @classmethod
    def load(cls, session: Session) -> Directory:
        return cls(list(session.exec(select(Recipient).where(Recipient.active))))

    def recipients_for(
        self, notice: Notice, roles: set[RecipientRole], *, year_group: int | None, case_lead: int | None
    ) -> list[Recipient]:
        """The people in these roles for this event: the school's own for school roles (the head of
        the pupil's year only), the LA's for LA roles, the case's lead, the referral's provider."""
        found: dict[int, Recipient] = {}
        for role in roles & {RecipientRole.ATTENDANCE_LEAD, RecipientRole.SAFEGUARDING_LEAD}:
            found |= {r.id: r for r in self._by_school_role[(notice.school_urn, role)]}
        for role in {role for role in roles if role.works_for_the_la}:
            found |= {r.id: r for r in self._by_school_role[(None, role)]}
        if RecipientRole.HEAD_OF_YEAR in roles and year_group is not None:
            heads = self._by_school_role[(notice.school_urn, RecipientRole.HEAD_OF_YEAR)]
            found |= {r.id: r for r in heads if r.year_group == year_group}
        if RecipientRole.LEAD_PRACTITIONER in roles and case_lead is not None:
            leads = self._by_staff[case_lead]
            found |= {r.id: r for r in leads if r.role == RecipientRole.LEAD_PRACTITIONER}
        if RecipientRole.PROVIDER_CONTACT in roles and notice.provider_id is not None:
            contacts = self._by_provider[notice.provider_id]
            found |= {r.id: r for r in contacts if r.role == RecipientRole.PROVIDER_CONTACT}
        return [found[key] for key in sorted(found)]
