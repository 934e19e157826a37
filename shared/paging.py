"""Cursor pagination for list endpoints: `limit` (at most 500) and an opaque `cursor`; each page
names the URL of the next. Unknown query parameters are refused rather than ignored."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field

from shared.problems import DomainError

T = TypeVar("T")
MAX_LIMIT = 500


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, description="Items per page")] = 100
    cursor: Annotated[str | None, Field(max_length=500, description="From the previous page's `next`")] = None


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = Field(description="URL of the next page; null on the last")


class BadCursor(DomainError):
    status = 422


def encode_cursor(position: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


def decode_cursor(cursor: str, length: int) -> list[Any]:
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeDecodeError) as error:
        raise BadCursor("cursor is not one this API gave out; start again without it") from error
    if not isinstance(position, list) or len(position) != length:
        raise BadCursor("cursor is not one this API gave out; start again without it")
    return position


def next_url(request: Request, query: ListQuery, rows: list, position_of) -> str | None:
    """The next page's URL when this page is full, carrying every other query parameter along."""
    if len(rows) < query.limit:
        return None
    params = {**query.model_dump(exclude_none=True, mode="json"), "cursor": encode_cursor(position_of(rows[-1]))}
    return f"{request.url.path}?{urlencode(params)}"
