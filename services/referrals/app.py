"""create_app: the composition root of referrals."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

from services.referrals import metrics, service
from services.referrals.models import Alert, AuditEntry, Case, Outbox, PupilIdentity, StaffMember
from services.referrals.outbox import OutboxPublisher
from services.referrals.routes import router
from services.referrals.settings import Settings
from shared import events, topics
from shared.consuming import ConsumerLoop
from shared.database import make_engine
from shared.ops import add_operations_routes
from shared.settings import KafkaSettings

TABLES = (StaffMember, Case, Alert, PupilIdentity, AuditEntry, Outbox)


def open_database(settings: Settings) -> Engine:
    return make_engine(settings.database_url, TABLES)


def make_handler(engine: Engine):
    def handle(_: topics.Topic, event: events.Event) -> None:
        with Session(engine) as session:
            if isinstance(event, events.RiskAlert):
                service.record_alert(session, event)
            elif isinstance(event, events.PupilIdentity):
                service.record_identity(session, event)
            session.commit()

    return handle


def create_app(settings: Settings, kafka: KafkaSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        engine = open_database(settings)
        outbox = OutboxPublisher(engine, kafka)

        def publish_outbox() -> None:
            metrics.OUTBOX_PUBLISHED.inc(outbox.publish_pending())

        loop = ConsumerLoop(
            kafka,
            settings.consumer_group,
            (topics.RISK_ALERTS, topics.PUPIL_IDENTITY),
            make_handler(engine),
            topics.REFERRALS_DLQ,
            metrics.CONSUMED,
            after_batch=publish_outbox,
        )
        app.state.engine, app.state.consumer = engine, loop
        loop.start()
        yield
        loop.stop()
        loop.join(timeout=10)
        outbox.close()
        engine.dispose()

    app = FastAPI(title="Referrals", version="1", lifespan=lifespan)
    app.include_router(router)

    add_operations_routes(app, "referrals", lambda: app.state.consumer.healthy)

    return app
