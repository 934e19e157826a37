"""Reading request bodies after the caller is known, validated against one clock.

FastAPI would parse a declared body before any dependency runs, so malformed JSON without a key
got 422 instead of 401. Routes read the body themselves, after the key check, and validate it
with the request's `Clock` in the context (for the date checks in schemas.py).
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from services.ingest.schemas import Clock
from services.ingest.settings import Settings
from shared.events import utcnow

T = TypeVar("T")


def request_clock(request: Request) -> Clock:
    settings: Settings = request.app.state.settings
    return Clock(utcnow(), settings.future_days_allowed)


def validate_json(adapter: TypeAdapter[T], body: bytes, clock: Clock) -> T:
    return _validated(lambda: adapter.validate_json(body, context={"clock": clock}))


def validate_rows(adapter: TypeAdapter[T], rows: Any, clock: Clock) -> T:
    return _validated(lambda: adapter.validate_python(rows, context={"clock": clock}))


def _validated(validate):
    try:
        return validate()
    except ValidationError as error:
        raise RequestValidationError(error.errors(include_url=False)) from error


def json_request_body(adapter: TypeAdapter, example: Any) -> dict:
    """The OpenAPI requestBody for a route that reads its body itself (definitions inlined: they are
    not among the document's components)."""
    schema = adapter.json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline(schema, schema.pop("$defs", {})), "example": example}},
        }
    }


def csv_request_body(example: str) -> dict:
    """The OpenAPI requestBody for a CSV route."""
    return {
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}, "example": example}}}
    }


def _inline(node: Any, definitions: dict) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(definitions[node["$ref"].rsplit("/", 1)[1]], definitions)
        return {key: _inline(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    return node
