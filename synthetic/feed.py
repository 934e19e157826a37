"""Publish the synthetic borough through the ingest HTTP API, as a real connector would."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import httpx
from tenacity import before_sleep_log, retry, retry_if_exception, stop_after_delay, wait_exponential_jitter
from tqdm import tqdm

from synthetic.borough import make_borough
from synthetic.marks import SCHOOL_DAYS, school_year_marks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedPlan:
    seed: int = 2025
    schools: int = 6
    pupils_per_school: int = 200
    day_seconds: float = 0.5
    batch_rows: int = 2_000


class IngestRefused(Exception):
    """Ingest answered with an error that resending will not fix."""


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
def post_rows(client: httpx.Client, path: str, rows: Sequence[dict]) -> None:
    response = client.post(path, json=list(rows))
    if response.status_code in (429, 503):
        response.raise_for_status()
    if response.status_code >= 400:
        raise IngestRefused(f"{path} answered {response.status_code}: {response.text[:2000]}")


def chunks(rows: list[dict], size: int) -> Iterator[list[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def run_feed(client: httpx.Client, plan: FeedPlan, progress: bool = True) -> int:
    """Send a school year of marks day by day; returns how many rows were accepted."""
    _, pupils = make_borough(plan.seed, plan.schools, plan.pupils_per_school)
    sent = 0
    with tqdm(total=SCHOOL_DAYS * len(pupils) * 2, unit="mark", disable=not progress, desc="school year") as bar:
        started = time.monotonic()
        for day, rows in school_year_marks(pupils, plan.seed):
            for chunk in chunks(rows, plan.batch_rows):
                post_rows(client, "/v1/marks", chunk)
                sent += len(chunk)
                bar.update(len(chunk))
            bar.set_postfix_str(day.isoformat())
            time.sleep(max(0.0, plan.day_seconds - (time.monotonic() - started)))
            started = time.monotonic()
    return sent
