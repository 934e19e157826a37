"""RFC 9457 problem+json answers, one place for every error ingest gives."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from services.ingest import metrics

PROBLEM_JSON = "application/problem+json"


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def row_errors(errors: list[dict]) -> list[dict]:
    """FastAPI's validation errors as {index, field, value, reason}, one per bad field."""
    rows = []
    for error in errors:
        loc = [part for part in error["loc"] if part != "body"]
        index = loc[0] if loc and isinstance(loc[0], int) else None
        field = ".".join(str(part) for part in loc[1:] if not isinstance(part, int)) or None
        value = error.get("input") if field else None
        reason = error["msg"].removeprefix("Value error, ")
        rows.append(
            {"index": index, "field": field, "value": value if _jsonable(value) else repr(value), "reason": reason}
        )
    return rows


def _jsonable(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


async def validation_problem(_: Request, exc: RequestValidationError) -> JSONResponse:
    raw = list(exc.errors())
    for error in raw:
        metrics.MARKS_REJECTED.labels(error["type"]).inc()  # pydantic's fixed set of error types
    errors = row_errors(raw)
    bad_rows = len({error["index"] for error in errors})
    return problem(
        422,
        "Invalid rows",
        f"{bad_rows} row(s) are invalid; nothing in this request was accepted. Fix them and resend the whole request.",
        errors=errors,
    )
