"""Apache Kafka as the project assembles and starts it."""

import subprocess

import pytest

from infra.local.kafka_broker import ClassArchive, KafkaBroker, assemble, java_binary
from infra.local.readiness import free_port
from shared.settings import KafkaSettings
from tests.integration.conftest import broker_settings

pytestmark = [pytest.mark.integration, pytest.mark.broker("kafka")]


def test_a_cluster_id_beginning_with_a_dash_formats_the_log(tmp_path, broker_engine):
    """A random cluster id is URL-safe base64, so about one in 32 begins with "-": it once reached
    Kafka's storage tool as an option of its own, and formatting failed."""
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}")
    broker = KafkaBroker(kafka, broker_settings("kafka"), tmp_path)
    broker.home.mkdir(parents=True)
    broker.format_log(assemble(), broker.write_properties(), cluster_id="-Ab3dEfGhIjKlMnOpQrStU")
    assert "cluster.id=-Ab3dEfGhIjKlMnOpQrStU" in (broker.log_dir / "meta.properties").read_text()


@pytest.fixture
def no_class_archive():
    """The cache's class archive set aside for the test (brokers started by it record their own), then put back."""
    archive = ClassArchive(assemble()).path
    aside = archive.with_suffix(".aside")
    if archive.exists():
        archive.rename(aside)
    yield archive
    if aside.exists():
        aside.replace(archive)


def test_the_first_broker_stopped_cleanly_leaves_a_class_archive_that_later_jvms_map(tmp_path, no_class_archive):
    """A killed broker's archive may be cut short, so none is kept; a clean stop's is, and a JVM that
    insists on sharing (-Xshare:on, which refuses to start otherwise) maps it."""
    for stop in (KafkaBroker.kill_broker, KafkaBroker.stop_broker):
        kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}")
        broker = KafkaBroker(kafka, broker_settings("kafka"), tmp_path / stop.__name__)
        broker.start_broker()
        stop(broker)
        if stop is KafkaBroker.kill_broker:
            assert not no_class_archive.exists()
    assert sorted(path.name for path in no_class_archive.parent.glob("*.jsa")) == [no_class_archive.name]
    libs = no_class_archive.parent
    mapped = subprocess.run(
        [
            java_binary(),
            "-Xshare:on",
            *ClassArchive(libs).use(),
            "-cp",
            f"{libs}/*",
            "kafka.tools.StorageTool",
            "version",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert mapped.returncode == 0, mapped.stdout + mapped.stderr
