"""Ingest: marks/s through POST /v1/marks with 1, 2 and 4 uvicorn workers against the raw kafka-python
producer publishing the same events to the same broker in the same run; p50/p99 for 500-mark batches.
On Tansu and on Apache Kafka."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.harness import embedded_broker, per_broker, percentile, record, service
from infra.local.broker import ENGINES
from services.ingest.app import open_database
from services.ingest.keys import issue_key
from services.ingest.pseudonym import pupil_id_for
from services.ingest.settings import KeyStoreSettings
from shared.events import AttendanceMark
from shared.kafka import make_producer
from shared.topics import MARKS
from shared.upn import make_upn

SCHOOL = "123456"
PUPILS = 1_000


def rows(total: int) -> list[dict]:
    upns = [make_upn(807, 4001, 18, n % 1000) for n in range(PUPILS)]
    start = dt.date(2025, 9, 1)
    out = []
    for n in range(total):
        day = start + dt.timedelta(days=n // (2 * PUPILS))
        out.append(
            {
                "school_urn": SCHOOL,
                "upn": upns[n % PUPILS],
                "date": day.isoformat(),
                "session": "AM" if (n // PUPILS) % 2 == 0 else "PM",
                "code": "N" if n % 13 == 0 else "/",
                "recorded_at": f"{day.isoformat()}T09:30:00+00:00",
            }
        )
    return out


def raw_producer_rate(kafka, marks: list[dict]) -> float:
    """The ceiling: the same events, already built, sent by kafka-python directly and all acked."""
    events = [
        AttendanceMark(
            pupil_id=pupil_id_for(m["upn"], b"k"),
            school_urn=m["school_urn"],
            date=m["date"],
            session=m["session"],
            code=m["code"],
            recorded_at=m["recorded_at"],
        )
        for m in marks
    ]
    payloads = [(MARKS.key_of(event), event.to_bytes()) for event in events]
    producer = make_producer(kafka, client_id="bench-raw")
    started = time.perf_counter()
    futures = [producer.send(MARKS.name, key=key, value=value) for key, value in payloads]
    for future in futures:
        future.get(timeout=60)
    elapsed = time.perf_counter() - started
    producer.close()
    return len(marks) / elapsed


def ingest_rate(url: str, headers: dict, marks: list[dict], batch: int, clients: int) -> float:
    batches = [marks[i : i + batch] for i in range(0, len(marks), batch)]
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:

        def post(body):
            response = client.post("/v1/marks", json=body)
            response.raise_for_status()

        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(post, batches))
        return len(marks) / (time.perf_counter() - started)


def batch_latencies(url: str, headers: dict, marks: list[dict], requests: int) -> list[float]:
    timings = []
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        for n in range(requests):
            body = marks[(n * 500) % len(marks) :][:500]
            started = time.perf_counter()
            client.post("/v1/marks", json=body).raise_for_status()
            timings.append(time.perf_counter() - started)
    return timings


def through_workers(kafka, data_dir, marks: list[dict], workers: int) -> dict:
    """Ingest with `workers` uvicorn processes, fed by twice as many concurrent clients."""
    with service(
        "ingest", kafka, data_dir, "INGEST_PORT", INGEST_RATE_LIMIT="1000000/minute", INGEST_WORKERS=str(workers)
    ) as (url, env):
        key = issue_key(
            open_database(KeyStoreSettings(database_url=env["INGEST_DATABASE_URL"])),
            f"bench-{workers}-workers",
            [SCHOOL],
        )
        headers = {"Authorization": f"Bearer {key}"}
        batch_latencies(url, headers, marks, 5 * workers)  # warm up: each worker's producer connected
        rate = ingest_rate(url, headers, marks, batch=5_000, clients=2 * workers)
        latencies = batch_latencies(url, headers, marks, 200)
    return {
        "workers": workers,
        "marks_per_s": round(rate),
        "marks_per_s_per_worker": round(rate / workers),
        "batch_500_p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "batch_500_p99_ms": round(percentile(latencies, 99) * 1000, 1),
    }


def on_broker(broker: str, total: int, worker_counts: list[int]) -> dict:
    marks = rows(total)
    with embedded_broker(broker) as (kafka, data_dir):
        raw = raw_producer_rate(kafka, marks)
        runs = [through_workers(kafka, data_dir, marks, workers) for workers in worker_counts]
    return {
        "raw_kafka_python_marks_per_s": round(raw),
        "ratio_one_worker": round(runs[0]["marks_per_s"] / raw, 2),
        "by_workers": runs,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--marks", type=int, default=100_000, help="marks sent in each run")
    parser.add_argument("--brokers", nargs="*", default=list(ENGINES), help="tansu and/or kafka")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4], help="uvicorn worker counts")
    args = parser.parse_args(argv)
    figures = {
        "marks": args.marks,
        "cores": os.cpu_count(),
        "brokers": per_broker(args.brokers, lambda broker: on_broker(broker, args.marks, args.workers)),
        "targets": {"ratio_one_worker": ">= 0.5", "batch_500_p99_ms": "< 250"},
    }
    record("ingest", figures)
    return figures


if __name__ == "__main__":
    main()
