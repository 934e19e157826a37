"""create_app: the composition root of notifications."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

from services.notifications import metrics
from services.notifications.api import router
from services.notifications.channels import Channel as ChannelSender
from services.notifications.channels.email import EmailChannel
from services.notifications.channels.notify import NotifyChannel
from services.notifications.channels.teams import TeamsChannel
from services.notifications.dispatch import Dispatcher
from services.notifications.intake import take_event, take_events
from services.notifications.models import Channel
from services.notifications.schema import MIGRATIONS
from services.notifications.settings import NotifySettings, Settings, SmtpSettings, TeamsSettings
from shared import events, topics
from shared.consuming import ConsumerLoop
from shared.database import make_engine
from shared.kafka import DeadLetterPublisher
from shared.migrations import upgrade
from shared.ops import add_operations_routes, settle_after_startup
from shared.outbox import OutboxPublisher
from shared.problems import install_problem_handlers
from shared.settings import KafkaSettings

CONSUMED_TOPICS = (
    topics.RISK_ALERTS,
    topics.REFERRAL_EVENTS,
    topics.PUPIL_CONTEXT,
    topics.SCHOOL_CALENDAR,
    topics.PUPIL_ATTENDANCE,
    topics.CONTACTS,
)


def open_database(settings: Settings) -> Engine:
    """The directory and delivery log, migrated to the latest schema."""
    engine = make_engine(settings.database_url)
    upgrade(engine, MIGRATIONS)
    return engine


def channels_from(
    settings: Settings, smtp: SmtpSettings, notify: NotifySettings, teams: TeamsSettings
) -> dict[Channel, ChannelSender]:
    """Every channel that is configured; Notify's only with an API key."""
    senders: dict[Channel, ChannelSender] = {
        Channel.EMAIL: EmailChannel(smtp, settings.sender),
        Channel.TEAMS: TeamsChannel(teams.timeout_s),
    }
    if notify.api_key is not None:
        common = dict(
            api_key=notify.api_key.get_secret_value(),
            base_url=notify.base_url,
            email_template_id=notify.email_template_id,
            sms_template_id=notify.sms_template_id,
        )
        senders[Channel.NOTIFY_EMAIL] = NotifyChannel(**common, sms=False)
        senders[Channel.NOTIFY_SMS] = NotifyChannel(**common, sms=True)
    return senders


def create_app(
    settings: Settings, kafka: KafkaSettings, smtp: SmtpSettings, notify: NotifySettings | None = None,
    teams: TeamsSettings | None = None,
) -> FastAPI:  # fmt: skip
    notify, teams = notify or NotifySettings(), teams or TeamsSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        engine = open_database(settings)

        def handle(topic: topics.Topic, event: events.Event) -> None:
            with Session(engine) as session:
                take_event(session, topic, event, settings)
                session.commit()

        def handle_many(batch: list[tuple[topics.Topic, events.Event]]) -> None:
            with Session(engine) as session:
                take_events(session, batch, settings)
                session.commit()

        loop = ConsumerLoop(kafka, settings.consumer_group, CONSUMED_TOPICS, handle, topics.NOTIFICATIONS_DLQ,
                            metrics.CONSUMED, handle_many=handle_many)  # fmt: skip
        dead_letters = DeadLetterPublisher(kafka, topics.NOTIFICATIONS_DLQ, client_id="notifications-dispatch")
        outbox = OutboxPublisher(engine, kafka, client_id="notifications-outbox")
        dispatcher = Dispatcher(engine, settings, channels_from(settings, smtp, notify, teams), dead_letters,
                                publish=lambda: metrics.OUTBOX_PUBLISHED.inc(outbox.publish_pending()))  # fmt: skip
        app.state.engine, app.state.consumer, app.state.dispatcher = engine, loop, dispatcher
        app.state.notify = notify
        if settings.consumer_enabled:
            loop.start()
            dispatcher.start()
        settle_after_startup()
        yield
        loop.stop()
        dispatcher.stop()
        if settings.consumer_enabled:
            loop.join(timeout=10)
            dispatcher.join(timeout=10)
        dead_letters.close()
        outbox.close()
        engine.dispose()

    def report() -> tuple[bool, dict]:
        if not settings.consumer_enabled:
            return True, {}
        healthy, parts = app.state.consumer.report()
        return healthy and app.state.dispatcher.is_alive(), {**parts, "dispatcher": app.state.dispatcher.is_alive()}

    app = FastAPI(title="Notifications", version="1", lifespan=lifespan)
    app.include_router(router)
    install_problem_handlers(app)
    # Which Notify key is in use shows on /health: a test key left in production delivers nothing.
    notify_key = notify.key_type if notify.api_key is not None else "off"
    add_operations_routes(app, "notifications", report, about={"notify_key": notify_key})
    return app
