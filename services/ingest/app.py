"""create_app: the composition root of ingest."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from services.ingest import metrics
from services.ingest.body_limit import BodySizeLimit
from services.ingest.csv_marks import CsvProblem
from services.ingest.keys import ConnectorKey
from services.ingest.problems import problem, validation_problem
from services.ingest.publisher import BrokerUnavailable, Publisher
from services.ingest.routes import router
from services.ingest.security import RateLimiter
from services.ingest.settings import KeyStoreSettings, Settings
from shared.database import make_engine
from shared.ops import add_operations_routes
from shared.settings import KafkaSettings

TITLES = {401: "Unauthorised", 403: "Forbidden", 404: "Not found", 405: "Method not allowed", 429: "Too many requests"}


def open_database(settings: KeyStoreSettings):
    return make_engine(settings.database_url, (ConnectorKey,))


def create_app(settings: Settings, kafka: KafkaSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.settings = settings
        app.state.engine = open_database(settings)
        app.state.rate_limiter = RateLimiter(settings.rate_limit)
        app.state.publisher = Publisher(kafka, settings.publish_timeout_s)
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
    app.add_exception_handler(RequestValidationError, validation_problem)

    @app.exception_handler(HTTPException)
    async def http_problem(_: Request, exc: HTTPException):
        return problem(exc.status_code, TITLES.get(exc.status_code, "Error"), str(exc.detail), headers=exc.headers)

    @app.exception_handler(CsvProblem)
    async def csv_problem(_: Request, exc: CsvProblem):
        metrics.MARKS_REJECTED.labels("csv_file").inc()
        return problem(422, "Unreadable CSV", str(exc))

    @app.exception_handler(BrokerUnavailable)
    async def broker_unavailable(_: Request, exc: BrokerUnavailable):
        metrics.BROKER_UNAVAILABLE.inc()
        return problem(
            503,
            "Broker unavailable",
            "The records were not all acknowledged by the broker. Resend the whole request; repeats are harmless.",
            headers={"Retry-After": str(settings.retry_after_s)},
        )

    add_operations_routes(app, "ingest")
    return app
