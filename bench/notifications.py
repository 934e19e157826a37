"""Notifications under load, through the real service, broker and local channel stand-ins (issue #13).

1. Immediate: severe-absence alerts published at a steady rate (default 100 a second for 30 s)
   across 60 schools; each goes at once to its school's attendance lead (email over SMTP) and to
   the LA attendance team (Teams webhook). Latency runs from the alert's creation to the channel's
   acceptance (the stand-in's receipt). Target: p99 < 5 s.
2. Digest: a borough of 60 schools and 400 recipients (an attendance lead and five heads of year at
   each school, 40 providers' contacts on GOV.UK Notify who asked for a digest) with the day's
   alerts and referral events waiting; the time from the digest time to the last digest handed to
   its channel. Target: < 60 s.

python -m bench.notifications [--rate 100] [--seconds 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import re
import threading
import time

from aiosmtpd.controller import Controller
from sqlalchemy import func
from sqlmodel import Session, select

from bench.harness import embedded_broker, percentile, record, service
from infra.local.readiness import free_port, wait_until
from infra.local.standins import NotifyKey, NotifyStandIn, TeamsStandIn
from services.notifications.app import open_database
from services.notifications.directory import NewRecipient, add_recipient
from services.notifications.models import Delivery, DeliveryKind, DeliveryStatus
from services.notifications.settings import Settings
from shared import topics
from shared.database import as_utc
from shared.events import PupilContext, ReferralEvent, ReferralEventKind, RiskAlert, Transition, alert_id_for
from shared.kafka import create_topics, make_producer, publish
from shared.time import SCHOOL_TIMEZONE

SCHOOLS = [f"{100000 + n}" for n in range(60)]
YEARS = range(7, 12)
PROVIDERS = 40
PUPILS_PER_YEAR = 4
ALERT_LINK = re.compile(r"/alerts/([0-9a-f]{32})")


def alert(pupil: str, school: str, *, band: str, risk_score: int = 50) -> RiskAlert:
    return RiskAlert(
        alert_id=alert_id_for(school, pupil, "persistent_absence", 1), pupil_id=pupil, school_urn=school,
        rule="persistent_absence", episode=1, transition=Transition.RAISED, band=band,
        reasons=["absent 9 of the last 20 sessions"], figures={"risk_score": risk_score},
    )  # fmt: skip


class Inbox:
    """The SMTP stand-in's handler: when each message arrived, and what it said."""

    def __init__(self) -> None:
        self.received: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        at = time.time()
        mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = next(part for part in mail.walk() if part.get_content_type() == "text/plain").get_content()
        with self._lock:
            self.received.append((at, f"{mail['Subject']}\n{text}"))
        return "250 OK"


def seed_directory(database_url: str, teams_url: str) -> None:
    engine = open_database(Settings(database_url=database_url))
    with Session(engine) as session:
        for urn in SCHOOLS:
            add_recipient(session, NewRecipient(name=f"Lead {urn}", role="attendance_lead", school_urn=urn,
                                                channel="email", address=f"lead-{urn}@schools.invalid"))  # fmt: skip
            for year in YEARS:
                add_recipient(session, NewRecipient(name=f"Head of year {year}", role="head_of_year", school_urn=urn,
                                                    year_group=year, channel="email",
                                                    address=f"hoy{year}-{urn}@schools.invalid"))  # fmt: skip
        for provider in range(1, PROVIDERS + 1):
            add_recipient(session, NewRecipient(name=f"Provider {provider}", role="provider_contact",
                                                provider_id=provider, channel="notify_email", timing="digest",
                                                address=f"intake-{provider}@providers.invalid"))  # fmt: skip
        add_recipient(session, NewRecipient(name="LA attendance team", role="la_attendance_officer",
                                            channel="teams", address=f"{teams_url}/workflows/la"))  # fmt: skip
    engine.dispose()


def immediate_phase(producer, inbox: Inbox, teams: TeamsStandIn, rate: int, seconds: int) -> dict:
    made: dict[str, float] = {}
    start = time.time()
    for n in range(rate * seconds):
        due = start + n / rate
        time.sleep(max(0.0, due - time.time()))
        severe = alert(f"severe{n}", SCHOOLS[n % len(SCHOOLS)], band="severe_absence")
        made[severe.alert_id] = severe.occurred_at.timestamp()
        publish(producer, topics.RISK_ALERTS, severe)
    producer.flush()
    sent_rate = len(made) / (time.time() - start)
    expected = 2 * len(made)
    wait_until(lambda: len(inbox.received) + len(teams.received) >= expected, 300, "every immediate message")
    latencies = [at - made[m.group(1)] for at, text in inbox.received if (m := ALERT_LINK.search(text))]
    latencies += [r.at - made[ALERT_LINK.search(str(r.body)).group(1)] for r in teams.received]
    return {
        "alerts": len(made),
        "published_per_s": round(sent_rate, 1),
        "messages": len(latencies),
        "latency_p50_s": round(percentile(latencies, 50), 3),
        "latency_p99_s": round(percentile(latencies, 99), 3),
        "latency_max_s": round(max(latencies), 3),
    }


def latency_parts(database_url: str) -> dict:
    """Where the immediate messages' time went: from the event to its delivery row (consuming and
    routing), and from the row to the channel's acceptance (waiting for and doing the send)."""
    engine = open_database(Settings(database_url=database_url))
    with Session(engine) as session:
        rows = session.exec(select(Delivery).where(Delivery.kind == DeliveryKind.EVENT, Delivery.sent_at != None)).all()  # noqa: E711
    engine.dispose()
    intake = [(as_utc(r.created_at) - as_utc(r.event_at)).total_seconds() for r in rows]
    dispatch = [(as_utc(r.sent_at) - as_utc(r.created_at)).total_seconds() for r in rows]
    return {
        "event_to_delivery_row_p50_s": round(percentile(intake, 50), 3),
        "event_to_delivery_row_p99_s": round(percentile(intake, 99), 3),
        "row_to_channel_p50_s": round(percentile(dispatch, 50), 3),
        "row_to_channel_p99_s": round(percentile(dispatch, 99), 3),
    }


def waiting_for_digest(database_url: str) -> int:
    engine = open_database(Settings(database_url=database_url))
    with Session(engine) as session:
        count = session.exec(select(func.count()).where(Delivery.status == DeliveryStatus.WAITING_FOR_DIGEST)).one()
    engine.dispose()
    return count


def digest_phase(producer, inbox: Inbox, notify: NotifyStandIn, digest_at: float, database_url: str) -> dict:
    before_email = len(inbox.received)
    for urn in SCHOOLS:
        for year in YEARS:
            for k in range(PUPILS_PER_YEAR):
                pupil = f"y{year}p{k}"
                publish(producer, topics.PUPIL_CONTEXT, PupilContext(pupil_id=pupil, school_urn=urn, year_group=year,
                                                                     admission_date=dt.date(2021, 9, 1)))  # fmt: skip
                publish(producer, topics.RISK_ALERTS, alert(pupil, urn, band="persistent_absence", risk_score=k + year))
    for provider in range(1, PROVIDERS + 1):
        for case in range(3):
            offered = ReferralEvent(kind=ReferralEventKind.INTERVENTION_OFFERED, case_id=provider * 10 + case,
                                    pupil_id=f"c{provider}-{case}", school_urn=SCHOOLS[case], provider_id=provider,
                                    intervention="mentoring")  # fmt: skip
            publish(producer, topics.REFERRAL_EVENTS, offered)
    producer.flush()
    items = len(SCHOOLS) * len(YEARS) * PUPILS_PER_YEAR * 2 + PROVIDERS * 3  # head of year and lead; providers
    wait_until(lambda: waiting_for_digest(database_url) >= items or time.time() > digest_at, 600, "the day's events",
               interval_s=2)  # fmt: skip
    if time.time() > digest_at:
        raise RuntimeError("the digest time came before the day's events were in; use a later --digest-after")
    digests = len(SCHOOLS) * (1 + len(YEARS)) + PROVIDERS
    wait_until(lambda: len(inbox.received) - before_email + len(notify.received) >= digests,
               digest_at - time.time() + 300, "every digest")  # fmt: skip
    last = max([at for at, _ in inbox.received[before_email:]] + [r.at for r in notify.received])
    sizes = [int(re.search(r": (\d+) updates?", text).group(1)) for _, text in inbox.received[before_email:]]
    return {
        "recipients": digests,
        "digests_sent": len(inbox.received) - before_email + len(notify.received),
        "items_per_school_digest_max": max(sizes),
        "seconds_from_digest_time_to_last_handed_over": round(last - digest_at, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=100, help="Severe alerts a second in the immediate phase")
    parser.add_argument("--seconds", type=int, default=60, help="How long the immediate phase publishes")
    parser.add_argument("--digest-after", type=int, default=180,
                        help="Seconds from the digest phase's start to the digest time")  # fmt: skip
    args = parser.parse_args(argv)
    inbox, key = Inbox(), NotifyKey("bench", "live")
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    teams, notify = TeamsStandIn().start(), NotifyStandIn([key]).start()
    try:
        with embedded_broker() as (kafka, data_dir):
            create_topics(kafka)
            database_url = f"sqlite:///{data_dir / 'notifications.db'}"
            seed_directory(database_url, teams.url)
            env = {
                "NOTIFICATIONS_DATABASE_URL": database_url,
                "NOTIFICATIONS_SMTP_PORT": str(smtp.port),
                "NOTIFICATIONS_NOTIFY_API_KEY": key.api_key,
                "NOTIFICATIONS_NOTIFY_BASE_URL": notify.url,
                "NOTIFICATIONS_NOTIFY_EMAIL_TEMPLATE_ID": "email-template",
            }
            producer = make_producer(kafka, client_id="bench")
            with service("notifications", kafka, data_dir, "NOTIFICATIONS_PORT", **env):
                figures = {"immediate": immediate_phase(producer, inbox, teams, args.rate, args.seconds)}
                figures["immediate"] |= latency_parts(database_url)
                print(figures, flush=True)
            # The digest time is set when the service starts, so the digest phase has its own start.
            digest_time = (dt.datetime.now(SCHOOL_TIMEZONE) + dt.timedelta(seconds=args.digest_after)).time()
            digest_time = digest_time.replace(microsecond=0)
            digest_at = dt.datetime.combine(dt.date.today(), digest_time, SCHOOL_TIMEZONE).timestamp()
            env["NOTIFICATIONS_DIGEST_TIME"] = digest_time.isoformat()
            with service("notifications", kafka, data_dir, "NOTIFICATIONS_PORT", **env):
                figures["digest"] = digest_phase(producer, inbox, notify, digest_at, database_url)
            producer.close()
    finally:
        smtp.stop()
        teams.stop()
        notify.stop()
    figures["targets"] = {"immediate_latency_p99_s": "< 5 at 100 alerts/s", "borough_digest_s": "< 60"}
    record("notifications", figures)


if __name__ == "__main__":
    main()
