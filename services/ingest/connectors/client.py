"""Posting rows to the ingest API with bounded retries on 429/503 and lost connections."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import httpx
from tenacity import before_sleep_log, retry, retry_if_exception, stop_after_delay, wait_exponential_jitter

from services.ingest.schemas import MAX_ROWS

log = logging.getLogger(__name__)


class IngestRefused(Exception):
    """Ingest answered with an error that resending will not fix; the message carries its problem."""


def _retryable(error: BaseException) -> bool:
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code in (429, 503)
    return isinstance(error, httpx.TransportError)


@retry(
    retry=retry_if_exception(_retryable),
    wait=wait_exponential_jitter(multiplier=0.5, max=10),
    stop=stop_after_delay(300),
    before_sleep=before_sleep_log(log, logging.WARNING),
    reraise=True,
)
def post_json(client: httpx.Client, path: str, payload: dict | list) -> int:
    """POST one request; returns the count the broker acknowledged."""
    response = client.post(path, json=payload)
    if response.status_code in (429, 503):
        response.raise_for_status()
    if response.status_code >= 400:
        raise IngestRefused(f"{path} answered {response.status_code}: {response.text[:4000]}")
    return response.json()["accepted"]


def post_rows(client: httpx.Client, path: str, rows: Sequence[dict]) -> int:
    return post_json(client, path, list(rows))


def chunks(rows: Sequence[dict], size: int = MAX_ROWS) -> Iterator[Sequence[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def ingest_client(base_url: str, api_key: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {api_key}"}, timeout=60)
