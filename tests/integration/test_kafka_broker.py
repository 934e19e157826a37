"""Apache Kafka as the project assembles and starts it."""

import pytest

from infra.local.kafka_broker import KafkaBroker, assemble
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
