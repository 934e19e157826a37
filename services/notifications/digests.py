"""Gathering each recipient's waiting events into that day's digest, once: the digest is itself a
delivery (kind digest, key digest:<date>), so the log's unique key makes it go once per recipient,
channel and day, and the dispatcher sends, retries and dead-letters it like any other."""

from __future__ import annotations

import datetime as dt
import json
from itertools import groupby

from sqlmodel import Session, select

from services.notifications import metrics
from services.notifications.models import Delivery, DeliveryKind, DeliveryStatus
from services.notifications.notices import Notice
from shared.database import as_utc
from shared.time import SCHOOL_TIMEZONE

DIGEST_TOPIC = "digest"  # a digest's source: the waiting deliveries it gathered


def gather_digests(session: Session, now: dt.datetime) -> int:
    """Make the digests that are due (their items' digest time has come); returns how many."""
    waiting = session.exec(
        select(Delivery)
        .where(Delivery.status == DeliveryStatus.WAITING_FOR_DIGEST, Delivery.next_attempt_at <= now)
        .order_by(Delivery.recipient_id, Delivery.channel, Delivery.next_attempt_at, Delivery.id)
    ).all()
    made = 0
    for (recipient_id, channel, day), group in groupby(
        waiting, key=lambda d: (d.recipient_id, d.channel, digest_day(d.next_attempt_at))
    ):
        items = list(group)
        digest = Delivery(
            notice_key=_unused_key(session, recipient_id, channel, day),
            recipient_id=recipient_id,
            channel=channel,
            kind=DeliveryKind.DIGEST,
            status=DeliveryStatus.PENDING,
            next_attempt_at=now,
            event_at=min(item.event_at for item in items),
            school_urn=items[0].school_urn,
            source_topic=DIGEST_TOPIC,
            payload=json.dumps({"day": day.isoformat(), "items": len(items)}),
        )
        session.add(digest)
        session.flush()
        for item in items:
            item.status, item.digest_id = DeliveryStatus.IN_DIGEST, digest.id
            session.add(item)
        metrics.DIGEST_SIZE.observe(len(items))
        made += 1
    session.commit()
    return made


def digest_day(moment: dt.datetime) -> dt.date:
    return as_utc(moment).astimezone(SCHOOL_TIMEZONE).date()


def _unused_key(session: Session, recipient_id: int, channel: str, day: dt.date) -> str:
    """digest:<day>; an item that arrived after that day's digest went gets digest:<day>#2, ..."""
    taken = set(
        session.exec(
            select(Delivery.notice_key).where(
                Delivery.recipient_id == recipient_id,
                Delivery.channel == channel,
                Delivery.notice_key.startswith(f"digest:{day.isoformat()}"),
            )
        )
    )
    key, number = f"digest:{day.isoformat()}", 1
    while key in taken:
        number += 1
        key = f"digest:{day.isoformat()}#{number}"
    return key


def digest_notices(session: Session, digest: Delivery) -> list[Notice]:
    items = session.exec(select(Delivery.payload).where(Delivery.digest_id == digest.id).order_by(Delivery.id))
    return [Notice.from_json(json.loads(payload)) for payload in items]
