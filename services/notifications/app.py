"""create_app: the composition root of notifications."""

from __future__ import annotations

from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

from services.notifications import mailer, metrics
from services.notifications.api import router
from services.notifications.dispatch import Dispatcher
from services.notifications.intake import take_alert
from services.notifications.schema import MIGRATIONS
from services.notifications.settings import Settings, SmtpSettings
from shared import events, topics
from shared.consuming import ConsumerLoop
from shared.database import make_engine
from shared.kafka import DeadLetterPublisher
from shared.migrations import upgrade
from shared.ops import add_operations_routes, settle_after_startup
from shared.problems import install_problem_handlers
from shared.settings import KafkaSettings


def open_database(settings: Settings) -> Engine:
    """The delivery log, migrated to the latest schema."""
    engine = make_engine(settings.database_url)
    upgrade(engine, MIGRATIONS)
    return engine


def create_app(settings: Settings, kafka: KafkaSettings, smtp: SmtpSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        engine = open_database(settings)

        def handle(_: topics.Topic, event: events.Event) -> None:
            with Session(engine) as session:
                if isinstance(event, events.RiskAlert):
                    take_alert(session, event, settings)
                session.commit()

        loop = ConsumerLoop(
            kafka, settings.consumer_group, (topics.RISK_ALERTS,), handle, topics.NOTIFICATIONS_DLQ, metrics.CONSUMED
        )
        dead_letters = DeadLetterPublisher(kafka, topics.NOTIFICATIONS_DLQ, client_id="notifications-dispatch")
        dispatcher = Dispatcher(engine, settings, partial(mailer.send, smtp=smtp), dead_letters)
        app.state.engine, app.state.consumer, app.state.dispatcher = engine, loop, dispatcher
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
        engine.dispose()

    def report() -> tuple[bool, dict]:
        if not settings.consumer_enabled:
            return True, {}
        healthy, parts = app.state.consumer.report()
        return healthy and app.state.dispatcher.is_alive(), {**parts, "dispatcher": app.state.dispatcher.is_alive()}

    app = FastAPI(title="Notifications", version="1", lifespan=lifespan)
    app.include_router(router)
    install_problem_handlers(app)
    add_operations_routes(app, "notifications", report)
    return app
