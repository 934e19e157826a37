"""What every benchmark needs: an embedded broker, services as processes, figures written down."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import httpx

from infra.local import broker
from infra.local.kafka_broker import kafka_available
from infra.local.local_http import LOCAL
from infra.local.processes import service_commands, service_env
from infra.local.readiness import free_port, wait_until
from infra.local.scratch_postgres import PostgresUnavailable, scratch_database
from shared.settings import EmbeddedBrokerSettings, KafkaSettings

RESULTS = Path(__file__).with_name("results")


@contextmanager
def embedded_broker(engine: str = "tansu"):
    """A fresh broker for one benchmark: Tansu in memory, or Apache Kafka on a log in a scratch folder."""
    with tempfile.TemporaryDirectory() as data:
        kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}")
        embedded = EmbeddedBrokerSettings(engine=engine, storage="memory", kafka_controller_port=free_port())
        with broker.embedded_broker(kafka, embedded, Path(data)):
            yield kafka, Path(data)


@contextmanager
def service(name: str, kafka: KafkaSettings, data_dir: Path, port_env: str, **env: str):
    port = free_port()
    environment = {**os.environ, **service_env(data_dir, kafka.bootstrap_servers), port_env: str(port), **env}
    log = (data_dir / f"{name}.log").open("ab")
    process = subprocess.Popen(service_commands()[name], env=environment, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _healthy(url, process), 60, f"{name} to start")
        yield url, environment
    finally:
        process.terminate()
        process.wait(timeout=30)


def _healthy(url: str, process: subprocess.Popen) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"service exited with {process.returncode}")
    try:
        return LOCAL.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def per_broker(brokers: list[str], measure: Callable[[str], dict]) -> dict:
    """`measure(broker)` on each broker named; Apache Kafka where it cannot run here is reported as not
    measured, with the reason."""
    figures: dict = {}
    for name in brokers:
        reason = kafka_available() if name == "kafka" else None
        figures[name] = {"not_measured": reason} if reason else measure(name)
    return figures


def borough_arguments(description: str, argv: list[str] | None, requests: int) -> argparse.Namespace:
    """The options of the benchmarks over a borough's data in a database: its size, the requests timed,
    which databases."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pupils", type=int, default=25_000)
    parser.add_argument("--requests", type=int, default=requests)
    parser.add_argument("--databases", nargs="*", default=["sqlite", "postgresql"])
    return parser.parse_args(argv)


def per_database(kinds: list[str], measure: Callable[[str], dict]) -> dict:
    """`measure(database_url)` on a fresh SQLite file and/or a scratch PostgreSQL database; a database
    that cannot be had is reported as not measured, with the reason."""
    figures: dict = {}
    for kind in kinds:
        if kind == "postgresql":
            try:
                with scratch_database() as url:
                    figures[kind] = measure(url)
            except PostgresUnavailable as missing:
                figures[kind] = f"not measured: {missing}"
        else:
            with tempfile.TemporaryDirectory() as folder:
                figures[kind] = measure(f"sqlite:///{Path(folder) / 'bench.db'}")
    return figures


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def record(name: str, figures: dict) -> None:
    figures = {
        "benchmark": name,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": sys.version.split()[0],
        **figures,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
