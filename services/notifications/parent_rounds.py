"""Making each school's half-term round of parent messages, once, and finding a parent's address
when a message is sent (so a family that opts out or changes number in between is honoured)."""

from __future__ import annotations

import datetime as dt
import json

from pydantic import ConfigDict, field_validator
from sqlmodel import Session, select

from services.notifications.models import (
    PARENTS,
    Channel,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    OpenAlert,
    ParentContacts,
    ParentMessage,
    ParentPlan,
    ParentPlanFields,
    ParentRound,
    SessionsSoFar,
)
from services.notifications.parent_messages import (
    check_wording,
    current_half_term_start,
    days_missed,
    held_back,
    message_text,
)
from shared.alert_titles import RULES
from shared.calendar_store import school_days
from shared.events import ParentMessageArm, ParentRoundEntry
from shared.outbox import add_to_outbox
from shared.time import SCHOOL_TIMEZONE
from shared.topics import PARENT_ROUNDS


def rule_names(rules: str) -> list[str]:
    """A plan's rules as stored: names separated by commas, blanks ignored."""
    return [rule.strip() for rule in rules.split(",") if rule.strip()]


class NewParentPlan(ParentPlanFields):
    """A school's plan as given: known rules, wording that states days and no rate."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("wording")
    @classmethod
    def _days_not_rates(cls, wording: str) -> str:
        return check_wording(wording)

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, rules: str) -> str:
        named = rule_names(rules)
        unknown = sorted(set(named) - set(RULES))
        if not named or unknown:
            raise ValueError(
                f"rules must name some of {', '.join(RULES)}; unknown: {', '.join(unknown) or 'none given'}"
            )
        return ",".join(named)


def save_plan(session: Session, school_urn: str, plan: NewParentPlan) -> ParentPlan:
    saved = session.merge(ParentPlan(school_urn=school_urn, **plan.model_dump()))
    session.commit()
    return saved


PARENT_TOPIC = "parent-round"  # a parent message's source: the school's plan, not a consumed event


def make_due_rounds(session: Session, now: dt.datetime) -> int:
    """Every active plan whose half-term has just started and whose send time has come gets its
    round (once: the round's key is the school and the half-term's first day); returns how many."""
    local = now.astimezone(SCHOOL_TIMEZONE)
    made = 0
    for plan in session.exec(select(ParentPlan).where(ParentPlan.active)).all():
        start = current_half_term_start(school_days(session, plan.school_urn), local.date())
        if start is None or (start == local.date() and local.time() < plan.send_at):
            continue
        if session.get(ParentRound, (plan.school_urn, start)) is not None:
            continue
        make_round(session, plan, start, now)
        made += 1
    session.commit()
    return made


def make_round(session: Session, plan: ParentPlan, start: dt.date, now: dt.datetime) -> ParentRound:
    rules = rule_names(plan.rules)
    flagged = sorted(
        set(
            session.exec(
                select(OpenAlert.pupil_id).where(OpenAlert.school_urn == plan.school_urn, OpenAlert.rule.in_(rules))
            )
        )
    )
    counts = dict.fromkeys(ParentMessageArm, 0)
    for pupil_id in flagged:
        arm, message = _message_for(session, plan, start, pupil_id)
        counts[arm] += 1
        if arm is ParentMessageArm.SENT:
            _queue(session, plan, message, now)
    round_ = ParentRound(school_urn=plan.school_urn, half_term_start=start, flagged=len(flagged),
                         **{arm.value: count for arm, count in counts.items()})  # fmt: skip
    session.add(round_)
    return round_


def _message_for(
    session: Session, plan: ParentPlan, start: dt.date, pupil_id: str
) -> tuple[ParentMessageArm, ParentMessage]:
    """The pupil's arm and message record, and (in the same transaction) the round entry that the
    reporting store reads from the outbox."""
    figures = session.get(SessionsSoFar, (plan.school_urn, pupil_id))
    possible, attended = (figures.possible, figures.attended) if figures else (0, 0)
    contacts = session.get(ParentContacts, (plan.school_urn, pupil_id))
    if held_back(pupil_id, seed=plan.seed, share=plan.hold_back_share):
        arm = ParentMessageArm.HELD_BACK  # assigned before anything about the family is looked at
    elif contacts is not None and contacts.opted_out:
        arm = ParentMessageArm.OPTED_OUT
    elif contacts is None or not contacts.parents:
        arm = ParentMessageArm.NO_CONTACT
    else:
        arm = ParentMessageArm.SENT
    entry = ParentRoundEntry(pupil_id=pupil_id, school_urn=plan.school_urn, half_term_start=start, arm=arm,
                             hold_back_share=plan.hold_back_share)  # fmt: skip
    add_to_outbox(session, PARENT_ROUNDS, entry, dedupe_key=f"parent-round:{plan.school_urn}:{start}:{pupil_id}")
    message = ParentMessage(school_urn=plan.school_urn, pupil_id=pupil_id, half_term_start=start, arm=arm,
                            rules=plan.rules, days_missed=days_missed(possible, attended),
                            possible_sessions=possible)  # fmt: skip
    session.add(message)
    session.flush()
    return arm, message


def _queue(session: Session, plan: ParentPlan, message: ParentMessage, now: dt.datetime) -> None:
    contacts = session.get(ParentContacts, (plan.school_urn, message.pupil_id))
    text = message_text(plan.wording, message.days_missed)
    for index, parent in enumerate(contacts.parents):
        channel = _channel_for(parent)
        session.add(
            Delivery(
                notice_key=f"parent:{message.id}:{index}",
                recipient_id=PARENTS,
                channel=channel,
                kind=DeliveryKind.PARENT,
                status=DeliveryStatus.PENDING,
                next_attempt_at=now,
                event_at=now,
                school_urn=plan.school_urn,
                pupil_id=message.pupil_id,
                source_topic=PARENT_TOPIC,
                payload=json.dumps({"text": text, "contact": index}),
            )
        )


def _channel_for(parent: dict) -> Channel:
    if parent.get("mobile") and (parent.get("prefers") == "sms" or not parent.get("email")):
        return Channel.NOTIFY_SMS
    return Channel.NOTIFY_EMAIL


def parent_address(session: Session, delivery: Delivery) -> str | None:
    """The parent's number or address now; None when the family has opted out or the contact is gone."""
    contacts = session.get(ParentContacts, (delivery.school_urn, delivery.pupil_id))
    index = json.loads(delivery.payload)["contact"]
    if contacts is None or contacts.opted_out or index >= len(contacts.parents):
        return None
    parent = contacts.parents[index]
    return parent.get("mobile") if delivery.channel == Channel.NOTIFY_SMS else parent.get("email")
