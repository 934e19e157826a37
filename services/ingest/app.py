"""create_app: the composition root of ingest."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError

from services.ingest import metrics
from services.ingest.problems import problem, validation_problem
from services.ingest.publisher import BrokerUnavailable, Publisher
from services.ingest.routes import router
from services.ingest.settings import Settings
from shared.ops import add_operations_routes
from shared.settings import KafkaSettings


def create_app(settings: Settings, kafka: KafkaSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.settings = settings
        app.state.publisher = Publisher(kafka, settings.publish_timeout_s)
        yield
        app.state.publisher.close()

    app = FastAPI(title="Attendance ingest", version="1", lifespan=lifespan)
    app.include_router(router)
    app.add_exception_handler(RequestValidationError, validation_problem)

    @app.exception_handler(BrokerUnavailable)
    async def broker_unavailable(_: Request, exc: BrokerUnavailable):
        metrics.BROKER_UNAVAILABLE.inc()
        return problem(
            503,
            "Broker unavailable",
            "The marks were not all acknowledged by the broker. Resend the whole request; repeats are harmless.",
            headers={"Retry-After": str(settings.retry_after_s)},
        )

    add_operations_routes(app, "ingest")

    return app
