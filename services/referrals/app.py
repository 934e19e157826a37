"""create_app: the composition root of referrals."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlmodel import Session

from services.referrals import metrics
from services.referrals.api import alerts, cases, insight, oversight, providers, referrals, registers
from services.referrals.casework.measures import kpis
from services.referrals.consumer import handle_event, handle_events
from services.referrals.insight.recent import Recent
from services.referrals.reconciliation.gaps import RegisterDeadlines
from services.referrals.reconciliation.readings import reconciliation_as_of_now
from services.referrals.schema import MIGRATIONS
from services.referrals.settings import Settings
from services.referrals.web import borough_pages, pages
from services.referrals.web.assets import VENDOR
from services.referrals.web.errors import page_error, sign_in_first
from services.referrals.web.oidc import Provider
from shared import events, topics
from shared.consuming import ConsumerLoop
from shared.database import make_engine
from shared.events import utcnow
from shared.migrations import upgrade
from shared.ops import add_operations_routes, settle_after_startup
from shared.outbox import OutboxPublisher
from shared.periodic import Every
from shared.problems import install_problem_handlers
from shared.settings import KafkaSettings

STATIC = Path(__file__).parent / "web" / "static"
CONSUMED = (
    topics.RISK_ALERTS,
    topics.PUPIL_IDENTITY,
    topics.PUPIL_ATTENDANCE,
    topics.PUPIL_CONTEXT,
    topics.SCHOOL_CALENDAR,
    topics.MARKS,
    topics.ACTIVITIES,
    topics.ACTIVITY_ATTENDANCE,
    topics.PARENT_ROUNDS,
)


def open_database(settings: Settings) -> Engine:
    """The referrals database, migrated to the latest schema."""
    engine = make_engine(settings.database_url)
    upgrade(engine, MIGRATIONS)
    return engine


def refresh_kpi_metrics(engine: Engine) -> None:
    with Session(engine) as session:
        metrics.refresh_kpis(kpis(session, None, utcnow().date()))


def refresh_register_metrics(engine: Engine, deadlines: RegisterDeadlines) -> None:
    with Session(engine) as session:
        metrics.refresh_registers(reconciliation_as_of_now(session, deadlines))


def make_handlers(engine: Engine):
    """One event in its own transaction, and a whole batch in one (marks come by the thousand)."""

    def handle(_: topics.Topic, event: events.Event) -> None:
        with Session(engine) as session:
            handle_event(session, event)
            session.commit()

    def handle_many(batch: list[tuple[topics.Topic, events.Event]]) -> None:
        with Session(engine) as session:
            handle_events(session, [event for _, event in batch])
            session.commit()

    return handle, handle_many


def consumer_loop(engine: Engine, settings: Settings, kafka: KafkaSettings, outbox: OutboxPublisher) -> ConsumerLoop:
    """The topics referrals keeps, into its database; the outbox is published after every batch."""
    handle, handle_many = make_handlers(engine)
    return ConsumerLoop(
        kafka,
        settings.consumer_group,
        CONSUMED,
        handle,
        topics.REFERRALS_DLQ,
        metrics.CONSUMED,
        after_batch=lambda: metrics.OUTBOX_PUBLISHED.inc(outbox.publish_pending()),
        handle_many=handle_many,
    )


def create_app(settings: Settings, kafka: KafkaSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        engine = open_database(settings)
        outbox = OutboxPublisher(engine, kafka, client_id="referrals-outbox")
        loop = consumer_loop(engine, settings, kafka, outbox)
        kpi_metrics = Every(60.0, lambda: refresh_kpi_metrics(engine), name="kpi-metrics")
        register_metrics = Every(
            60.0, lambda: refresh_register_metrics(engine, settings.register_deadlines), name="register-metrics"
        )
        app.state.engine, app.state.consumer = engine, loop
        if settings.consumer_enabled:
            loop.start()
            kpi_metrics.start()
            register_metrics.start()
        settle_after_startup()
        yield
        loop.stop()
        kpi_metrics.stop()
        register_metrics.stop()
        if settings.consumer_enabled:
            loop.join(timeout=10)
        outbox.close()
        engine.dispose()

    app = FastAPI(title="Referrals", version="1", lifespan=lifespan)
    app.state.settings, app.state.oidc = settings, Provider(settings)
    app.state.insight_views = Recent(settings.insight_cache_seconds)
    for module in (alerts, cases, referrals, providers, oversight, insight, registers):
        app.include_router(module.router)
    app.include_router(pages.router)
    app.include_router(borough_pages.router)
    app.mount("/assets", StaticFiles(directory=VENDOR / "govuk-frontend", check_dir=False), name="assets")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_problem_handlers(app, page_error=page_error)
    app.add_exception_handler(pages.SignInRequired, sign_in_first)
    add_operations_routes(
        app, "referrals", lambda: app.state.consumer.report() if settings.consumer_enabled else (True, {})
    )
    return app
