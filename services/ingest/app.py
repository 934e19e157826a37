"""create_app: the composition root of ingest."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from services.ingest import metrics
from services.ingest.body_limit import BodySizeLimit
from services.ingest.csv_rows import CsvProblem
from services.ingest.publisher import BrokerUnavailable, Publisher
from services.ingest.routes import router
from services.ingest.schema import MIGRATIONS
from services.ingest.security import RateLimiter
from services.ingest.settings import KeyStoreSettings, Settings
from shared.database import make_engine
from shared.migrations import upgrade
from shared.ops import add_operations_routes, settle_after_startup
from shared.problems import TITLES, install_problem_handlers, problem
from shared.settings import KafkaSettings


def open_database(settings: KeyStoreSettings):
    """The key store, migrated to the latest schema."""
    engine = make_engine(settings.database_url)
    upgrade(engine, MIGRATIONS)
    return engine


def rows_detail(errors: list[dict]) -> str:
    """What a connector needs to hear first: which rows, or what about the request as a whole."""
    whole = [error["reason"] for error in errors if error["index"] is None]
    if whole:
        return f"{'; '.join(whole)}. Nothing in this request was accepted."
    bad_rows = len({error["index"] for error in errors})
    return (
        f"{bad_rows} row(s) are invalid; nothing in this request was accepted. Fix them and resend the whole request."
    )


def count_rejections(raw_errors: list[dict]) -> None:
    for error in raw_errors:
        metrics.MARKS_REJECTED.labels(error["type"]).inc()  # pydantic's fixed set of error types


def create_app(settings: Settings, kafka: KafkaSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.settings = settings
        app.state.engine = open_database(settings)
        app.state.rate_limiter = RateLimiter(settings.rate_limit)
        app.state.publisher = Publisher(kafka, settings.publish_timeout_s)
        settle_after_startup()
        yield
        app.state.publisher.close()
        app.state.engine.dispose()

    app = FastAPI(
        title="Attendance ingest",
        version="1",
        description="The front door for MIS connectors. Authenticate with `Authorization: Bearer <key>`; "
        "keys are issued per connector and scoped to schools (`python -m services.ingest issue-key`).",
        lifespan=lifespan,
    )
    app.include_router(router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    install_problem_handlers(app, detail_for=rows_detail, on_validation=count_rejections)

    @app.exception_handler(CsvProblem)
    async def csv_problem(_: Request, exc: CsvProblem):
        metrics.MARKS_REJECTED.labels("csv_file").inc()
        return problem(422, "Unreadable CSV", exc.detail)

    @app.exception_handler(BrokerUnavailable)
    async def broker_unavailable(_: Request, exc: BrokerUnavailable):
        metrics.BROKER_UNAVAILABLE.inc()
        return problem(
            503,
            TITLES[503],
            "The records were not all acknowledged by the broker. Resend the whole request; repeats are harmless.",
            headers={"Retry-After": str(settings.retry_after_s)},
        )

    add_operations_routes(app, "ingest")
    return app
