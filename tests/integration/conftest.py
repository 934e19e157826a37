import os
import socket

import pytest

from infra.local.broker import ENGINES, embedded_broker
from infra.local.kafka_broker import kafka_available
from infra.local.readiness import free_port
from shared.settings import EmbeddedBrokerSettings, KafkaSettings
from tests.integration.smtp_relay import start_relay
from tests.integration.stack import Stack


def brokers_to_test() -> list[str]:
    """Both brokers unless EWS_TEST_BROKERS names fewer (e.g. `EWS_TEST_BROKERS=tansu` for a quick run)."""
    chosen = os.environ.get("EWS_TEST_BROKERS", ",".join(ENGINES)).split(",")
    return [name for name in ENGINES if name in chosen]


@pytest.fixture(params=brokers_to_test())
def broker_engine(request) -> str:
    """Each broker-backed test runs on Tansu (the embedded default) and on Apache Kafka (production's)."""
    if request.param == "kafka" and (reason := kafka_available()):
        pytest.skip(f"Apache Kafka tier skipped: {reason}")
    return request.param


def broker_settings(broker_engine: str, **tansu) -> EmbeddedBrokerSettings:
    return EmbeddedBrokerSettings(engine=broker_engine, kafka_controller_port=free_port(), **tansu)


@pytest.fixture
def kafka(tmp_path, broker_engine) -> KafkaSettings:
    """A fresh broker per test (Tansu in memory, or Apache Kafka on a new log), every registry topic created."""
    settings = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}")
    with embedded_broker(settings, broker_settings(broker_engine, storage="memory"), tmp_path / "broker"):
        yield settings


def port_with_grpc_twin() -> int:
    """A free port p with p + 10000 free too (SeaweedFS puts gRPC there)."""
    for _ in range(100):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port < 55000:
            with socket.socket() as twin:
                try:
                    twin.bind(("127.0.0.1", port + 10000))
                    return port
                except OSError:
                    continue
    raise RuntimeError("no free port pair")


@pytest.fixture
def durable_broker(tmp_path, broker_engine):
    """A broker that keeps its records across a stop or a kill: Tansu on its s3 storage, Apache Kafka on its log."""
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{port_with_grpc_twin()}", request_timeout_ms=3000)
    embedded = broker_settings(
        broker_engine,
        storage="s3",
        s3_port=port_with_grpc_twin(),
        seaweed_master_port=port_with_grpc_twin(),
        seaweed_volume_port=port_with_grpc_twin(),
        seaweed_filer_port=port_with_grpc_twin(),
    )
    with embedded_broker(kafka, embedded, tmp_path / "broker") as broker:
        yield broker


@pytest.fixture
def relay(tmp_path):
    """A local relay requiring STARTTLS and a login: (its handler, its port, the CA file that trusts it)."""
    handler, controller, ca = start_relay(tmp_path)
    yield handler, controller.port, ca
    controller.stop()


@pytest.fixture
def stack(tmp_path, kafka, request):
    with Stack(tmp_path, kafka.bootstrap_servers) as running:
        yield running
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            for name in ("ingest", "risk_engine", "referrals", "notifications"):
                print(f"----- {name} log -----\n{running.log(name)}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def pytest_collection_modifyitems(config, items):
    """Everything here talks to real processes: `make test-fast` leaves it out with -m "not integration".
    A test marked `@pytest.mark.broker("kafka")` is about that broker and runs on it alone."""
    kept, dropped = [], []
    for item in items:
        if "tests/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)
        only = item.get_closest_marker("broker")
        engine = getattr(item, "callspec", None) and item.callspec.params.get("broker_engine")
        (dropped if only is not None and engine and engine not in only.args else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
