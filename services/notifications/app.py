"""create_app: the composition root of notifications."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlmodel import Session

from services.notifications import mailer, metrics
from services.notifications.models import Delivery
from services.notifications.routes import router
from services.notifications.service import deliver_alert
from services.notifications.settings import Settings
from shared import events, topics
from shared.consuming import ConsumerLoop
from shared.database import make_engine
from shared.ops import add_operations_routes
from shared.settings import KafkaSettings


def create_app(settings: Settings, kafka: KafkaSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        engine = make_engine(settings.database_url, (Delivery,))

        def handle(_: topics.Topic, event: events.Event) -> None:
            with Session(engine) as session:
                if isinstance(event, events.RiskAlert) and deliver_alert(session, event, settings, mailer.send):
                    metrics.DELIVERED.labels("email").inc()
                session.commit()

        loop = ConsumerLoop(
            kafka, settings.consumer_group, (topics.RISK_ALERTS,), handle, topics.NOTIFICATIONS_DLQ, metrics.CONSUMED
        )
        app.state.engine, app.state.consumer = engine, loop
        loop.start()
        yield
        loop.stop()
        loop.join(timeout=10)
        engine.dispose()

    app = FastAPI(title="Notifications", version="1", lifespan=lifespan)

    app.include_router(router)
    add_operations_routes(app, "notifications", lambda: app.state.consumer.healthy)

    return app
