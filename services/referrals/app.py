"""create_app: the composition root of referrals."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

from services.referrals import metrics
from services.referrals.api import alerts, cases, oversight, providers, referrals
from services.referrals.casework.measures import kpis
from services.referrals.consumer import handle_event
from services.referrals.outbox import OutboxPublisher
from services.referrals.schema import MIGRATIONS
from services.referrals.settings import Settings
from shared import events, topics
from shared.consuming import ConsumerLoop
from shared.database import make_engine
from shared.events import utcnow
from shared.migrations import upgrade
from shared.ops import add_operations_routes, settle_after_startup
from shared.periodic import Every
from shared.problems import install_problem_handlers
from shared.settings import KafkaSettings

CONSUMED = (
    topics.RISK_ALERTS,
    topics.PUPIL_IDENTITY,
    topics.PUPIL_ATTENDANCE,
    topics.PUPIL_CONTEXT,
    topics.SCHOOL_CALENDAR,
)


def open_database(settings: Settings) -> Engine:
    """The referrals database, migrated to the latest schema."""
    engine = make_engine(settings.database_url)
    upgrade(engine, MIGRATIONS)
    return engine


def refresh_kpi_metrics(engine: Engine) -> None:
    with Session(engine) as session:
        metrics.refresh_kpis(kpis(session, None, utcnow().date()))


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
        kpi_metrics = Every(60.0, lambda: refresh_kpi_metrics(engine), name="kpi-metrics")
        app.state.engine, app.state.consumer = engine, loop
        if settings.consumer_enabled:
            loop.start()
            kpi_metrics.start()
        settle_after_startup()
        yield
        loop.stop()
        kpi_metrics.stop()
        if settings.consumer_enabled:
            loop.join(timeout=10)
        outbox.close()
        engine.dispose()

    app = FastAPI(title="Referrals", version="1", lifespan=lifespan)
    for module in (alerts, cases, referrals, providers, oversight):
        app.include_router(module.router)
    install_problem_handlers(app)
    add_operations_routes(
        app, "referrals", lambda: app.state.consumer.report() if settings.consumer_enabled else (True, {})
    )
    return app
