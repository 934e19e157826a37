"""What a consumed event says to staff, whoever hears it: a Notice. Pure; built from the event
alone, so messages can only carry what events carry (pseudonymous ids, plain reasons, no names,
no characteristics)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from shared.alert_titles import title
from shared.events import ReferralEvent, ReferralEventKind, RiskAlert

CASEWORK_TITLES = {
    ReferralEventKind.CASE_OPENED: "Case opened",
    ReferralEventKind.ALERT_LINKED: "A new alert joined the case",
    ReferralEventKind.STAGE_CHANGED: "Support stage changed",
    ReferralEventKind.LEAD_ASSIGNED: "Case handed to you as lead practitioner",
    ReferralEventKind.INTERVENTION_OFFERED: "Support offered",
    ReferralEventKind.INTERVENTION_WAITLISTED: "Waiting for a place",
    ReferralEventKind.INTERVENTION_CONSENTED: "Family agreed to support",
    ReferralEventKind.INTERVENTION_DECLINED: "Family declined support",
    ReferralEventKind.INTERVENTION_STARTED: "Support started",
    ReferralEventKind.INTERVENTION_ENDED: "Support ended",
    ReferralEventKind.INTERVENTION_WITHDRAWN: "Referral withdrawn",
    ReferralEventKind.CASE_CLOSED: "Case closed",
}


@dataclass(frozen=True)
class Notice:
    key: str  # one per event: the delivery log's idempotency key with recipient and channel
    event: str  # "alert.raised", "referral.lead_assigned", ... as named in who_hears.toml
    school_urn: str
    pupil_id: str
    title: str
    reasons: tuple[str, ...]
    link_path: str  # in the staff pages
    occurred_at: dt.datetime
    rule: str | None = None
    band: str | None = None
    risk_score: int | None = None
    episode: int | None = None
    case_id: int | None = None
    lead_staff_id: int | None = None
    provider_id: int | None = None

    @property
    def is_alert(self) -> bool:
        return self.event.startswith("alert.")

    @property
    def verb(self) -> str:
        return self.event.split(".", 1)[1].replace("_", " ")

    @property
    def headline(self) -> str:
        """A digest line's start: what happened to the alert, or the casework event's title."""
        return self.verb.capitalize() if self.is_alert else self.title

    def to_json(self) -> dict:
        return {**asdict(self), "occurred_at": self.occurred_at.isoformat()}

    @classmethod
    def from_json(cls, data: dict) -> Notice:
        return cls(
            **{**data, "reasons": tuple(data["reasons"]), "occurred_at": dt.datetime.fromisoformat(data["occurred_at"])}
        )


def notice_of_alert(alert: RiskAlert) -> Notice:
    score = alert.figures.get("risk_score")
    return Notice(
        key=f"alert:{alert.alert_id}:{alert.transition}",
        event=f"alert.{alert.transition}",
        school_urn=alert.school_urn,
        pupil_id=alert.pupil_id,
        title=title(alert.rule, alert.band),
        reasons=tuple(alert.reasons),
        link_path=f"/alerts/{alert.alert_id}",
        occurred_at=alert.occurred_at,
        rule=alert.rule,
        band=alert.band,
        risk_score=int(score) if score is not None else None,
        episode=alert.episode,
    )


def notice_of_casework(event: ReferralEvent) -> Notice:
    """A declined referral's reason is not repeated: staff may have written family detail in it."""
    what = CASEWORK_TITLES[event.kind]
    reasons = []
    if event.intervention:
        reasons.append(f"Support: {event.intervention.replace('_', ' ')}")
    if event.stage:
        reasons.append(f"Stage: {event.stage.replace('_', ' ')}")
    if event.attendance_before is not None and event.attendance_after is not None:
        reasons.append(f"Attendance {event.attendance_before:.0%} before, {event.attendance_after:.0%} after")
    return Notice(
        key=f"referral:{event.event_id}",
        event=f"referral.{event.kind}",
        school_urn=event.school_urn,
        pupil_id=event.pupil_id,
        title=what,
        reasons=tuple(reasons),
        link_path=f"/cases/{event.case_id}",
        occurred_at=event.occurred_at,
        rule=event.rule,
        case_id=event.case_id,
        lead_staff_id=event.lead_staff_id,
        provider_id=event.provider_id,
    )
