"""RFC 9457 problem+json: the one shape every service answers errors in.

Every error a client can cause is a 4xx naming what was wrong (row, field, value); anything
else is a 500 problem without a stack trace (the trace goes to the log, with no bound values).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthorised",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid request",
    428: "Precondition required",
    429: "Too many requests",
    503: "Service unavailable",
}
MAX_ECHO_CHARS = 200
_LOCATIONS = ("body", "query", "path", "header", "cookie")


class DomainError(Exception):
    """An error the service layer raises with the HTTP status it means; one handler renders it."""

    status = 400

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class PreconditionFailed(DomainError):
    status = 412


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def describe_value(value: Any) -> Any:
    """A value as it can be echoed in JSON: big or non-finite numbers and long text are described."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if -(2**63) <= value < 2**63:
            return value
        return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return value if len(value) <= MAX_ECHO_CHARS else f"{value[:MAX_ECHO_CHARS]}… ({len(value)} characters)"
    return f"a JSON {type(value).__name__}"


def field_errors(errors: list[dict]) -> list[dict]:
    """pydantic's errors as {index, field, value, reason}: one per bad field, index for rows of a list."""
    rows = []
    for error in errors:
        loc = list(error.get("loc", ()))
        if loc and loc[0] in _LOCATIONS:
            loc = loc[1:]
        index = loc[0] if loc and isinstance(loc[0], int) else None
        field = ".".join(str(part) for part in loc if not isinstance(part, int)) or None
        reason = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        value = describe_value(error.get("input")) if field else None
        rows.append({"index": index, "field": field, "value": value, "reason": reason})
    return rows


def validation_detail(errors: list[dict]) -> str:
    fields = ", ".join(sorted({e["field"] or "body" for e in errors}))
    return f"invalid: {fields}"


PageError = Callable[[Request, int, str], Response | None]


def install_problem_handlers(
    app: FastAPI,
    detail_for: Callable[[list[dict]], str] = validation_detail,
    on_validation: Callable[[list[dict]], None] = lambda _errors: None,
    page_error: PageError = lambda _request, _status, _detail: None,
) -> None:
    """Render every error the app can raise as problem+json; `page_error` may answer instead for
    requests from web pages (a person at a browser should see a page, not JSON)."""

    async def http_problem(request: Request, exc: HTTPException) -> Response:
        page = page_error(request, exc.status_code, str(exc.detail))
        return page or problem(
            exc.status_code, TITLES.get(exc.status_code, "Error"), str(exc.detail), headers=exc.headers
        )

    async def domain_problem(request: Request, exc: DomainError) -> Response:
        page = page_error(request, exc.status, exc.detail)
        return page or problem(exc.status, TITLES.get(exc.status, "Error"), exc.detail, **exc.extra)

    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        raw = list(exc.errors())
        on_validation(raw)
        errors = field_errors(raw)
        detail = detail_for(errors)
        return page_error(request, 422, detail) or problem(422, TITLES[422], detail, errors=errors)

    async def disconnected(_: Request, _exc: ClientDisconnect) -> JSONResponse:
        # The client went away mid-body (or a size limit already answered): nobody reads this.
        return problem(400, TITLES[400], "the request body did not arrive whole")

    async def internal(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc)
        return problem(500, "Internal error", "Something went wrong on our side; it has been logged.")

    app.add_exception_handler(HTTPException, http_problem)
    app.add_exception_handler(DomainError, domain_problem)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(ClientDisconnect, disconnected)
    app.add_exception_handler(Exception, internal)
