import pytest

from infra.local.broker import EmbeddedBroker
from infra.local.readiness import free_port
from shared.settings import EmbeddedBrokerSettings, KafkaSettings
from tests.integration.stack import Stack


@pytest.fixture
def kafka(tmp_path) -> KafkaSettings:
    """A fresh in-memory embedded broker per test, with every registry topic created."""
    settings = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}")
    with EmbeddedBroker(settings, EmbeddedBrokerSettings(storage="memory"), tmp_path / "broker"):
        yield settings


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


def pytest_collection_modifyitems(items):
    """Everything here talks to real processes: `make test-fast` leaves it out with -m "not integration"."""
    for item in items:
        if "tests/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)
