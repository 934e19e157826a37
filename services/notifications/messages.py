"""A delivery's message, rendered for every channel from the notices it is about: one event, or a
recipient's digest. Pure. Messages carry what notices carry (pseudonymous ids, plain reasons) and
name no one; the link opens the staff pages, where signing in shows who the pupil is."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import escape

from services.notifications.channels import Message
from services.notifications.notices import Notice

_templates = Environment(
    loader=PackageLoader("services.notifications"),
    undefined=StrictUndefined,
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
CASEWORK_GROUP = "Casework"
CARD_LINES = 5  # a Teams card lists the first few of each group; the link opens the rest


@dataclass(frozen=True)
class DigestGroup:
    heading: str
    notices: list[Notice]


def event_message(notice: Notice, *, reference: str, pages_url: str) -> Message:
    link = pages_url.rstrip("/") + notice.link_path
    what = f"{notice.title} ({notice.verb})" if notice.is_alert else notice.title
    subject = f"Attendance alert: {what}" if notice.is_alert else f"Casework: {what}"
    context = {"notice": notice, "what": what, "link": link}
    return Message(
        reference=reference,
        subject=subject,
        text=_templates.get_template("event.txt").render(context),
        html=_templates.get_template("event.html").render(context),
        link=link,
        short_text=f"{subject}. A pupil at school {notice.school_urn}. Open: {link}",
        card=_card(subject, [(what, list(notice.reasons), link)]),
    )


def parent_message(text: str, *, reference: str) -> Message:
    """A half-term message to a parent: the school's words alone, by text message or Notify email."""
    return Message(reference=reference, subject="Your child's attendance", text=text,
                   html=f"<p>{escape(text)}</p>", link="", short_text=text)  # fmt: skip


def digest_groups(notices: list[Notice]) -> list[DigestGroup]:
    """Alerts grouped by what they are, highest risk first within a group and the group with the
    highest risk first; casework last."""
    groups: dict[str, list[Notice]] = defaultdict(list)
    for notice in notices:
        groups[notice.title if notice.is_alert else CASEWORK_GROUP].append(notice)
    ranked = {heading: sorted(items, key=lambda n: (-(n.risk_score or 0), n.occurred_at))
              for heading, items in groups.items()}  # fmt: skip
    ordered = sorted(ranked, key=lambda h: (h == CASEWORK_GROUP, -(ranked[h][0].risk_score or 0), h))
    return [DigestGroup(heading, ranked[heading]) for heading in ordered]


def digest_message(notices: list[Notice], *, day: dt.date, reference: str, pages_url: str) -> Message:
    groups = digest_groups(notices)
    base = pages_url.rstrip("/")
    subject = f"Attendance digest for {day:%A %-d %B}: {len(notices)} update{'s' if len(notices) != 1 else ''}"
    context = {"groups": groups, "base": base, "subject": subject}
    card_items = [
        (f"{group.heading}: {len(group.notices)}", [_card_line(n) for n in group.notices[:CARD_LINES]], base + "/")
        for group in groups
    ]
    return Message(
        reference=reference,
        subject=subject,
        text=_templates.get_template("digest.txt").render(context),
        html=_templates.get_template("digest.html").render(context),
        link=base + "/",
        short_text=f"{subject}. Open: {base}/",
        card=_card(subject, card_items),
    )


def _card_line(notice: Notice) -> str:
    return f"{notice.headline}: {notice.reasons[0]}" if notice.reasons else notice.headline


def _card(title: str, items: list[tuple[str, list[str], str]]) -> dict:
    """An Adaptive Card: a heading, then each item's heading, reasons and an Open link."""
    body: list[dict] = [{"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": True}]
    for heading, reasons, link in items:
        body.append({"type": "TextBlock", "text": heading, "weight": "Bolder", "wrap": True, "spacing": "Medium"})
        body.extend({"type": "TextBlock", "text": f"- {reason}", "wrap": True, "spacing": "None"} for reason in reasons)
        body.append({"type": "ActionSet", "actions": [{"type": "Action.OpenUrl", "title": "Open", "url": link}]})
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
