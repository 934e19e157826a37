"""create_app: the composition root of referrals."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

from services.referrals import metrics
from services.referrals.api import alerts, cases
from services.referrals.audit import AuditEntry
from services.referrals.casework.models import Alert, Case
from services.referrals.consumer import handle_event
from services.referrals.outbox import Outbox, OutboxPublisher
from services.referrals.pupils import PupilFigures, PupilIdentity
from services.referrals.settings import Settings
from services.referrals.staff import StaffMember
from shared import events, topics
from shared.consuming import ConsumerLoop
from shared.database import make_engine
from shared.ops import add_operations_routes
from shared.problems import install_problem_handlers
from shared.settings import KafkaSettings

TABLES = (StaffMember, Case, Alert, PupilIdentity, PupilFigures, AuditEntry, Outbox)
CONSUMED = (topics.RISK_ALERTS, topics.PUPIL_IDENTITY, topics.PUPIL_ATTENDANCE)


def open_database(settings: Settings) -> Engine:
    return make_engine(settings.database_url, TABLES)


def make_handler(engine: Engine):
    def handle(_: topics.Topic, event: events.Event) -> None:
        with Session(engine) as session:
            handle_event(session, event)
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
            CONSUMED,
            make_handler(engine),
            topics.REFERRALS_DLQ,
            metrics.CONSUMED,
            after_batch=publish_outbox,
        )
        app.state.engine, app.state.consumer = engine, loop
        if settings.consumer_enabled:
            loop.start()
        yield
        loop.stop()
        if settings.consumer_enabled:
            loop.join(timeout=10)
        outbox.close()
        engine.dispose()

    app = FastAPI(title="Referrals", version="1", lifespan=lifespan)
    app.include_router(alerts.router)
    app.include_router(cases.router)
    install_problem_handlers(app)
    add_operations_routes(
        app, "referrals", lambda: app.state.consumer.report() if settings.consumer_enabled else (True, {})
    )
    return app
