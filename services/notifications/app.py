"""create_app: the composition root of notifications."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlmodel import Session, select

from services.notifications import mailer, metrics
from services.notifications.models import Delivery, DeliveryPublic
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

    def get_session(request: Request):
        with Session(request.app.state.engine) as session:
            yield session

    @app.get("/v1/deliveries", response_model=list[DeliveryPublic], summary="The delivery log (no personal data)")
    def deliveries(session: Annotated[Session, Depends(get_session)], alert_id: str | None = None):
        query = select(Delivery).order_by(Delivery.id)
        if alert_id:
            query = query.where(Delivery.alert_id == alert_id)
        return session.exec(query).all()

    add_operations_routes(app, "notifications", lambda: app.state.consumer.healthy)

    return app
