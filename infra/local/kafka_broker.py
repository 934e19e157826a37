"""Apache Kafka on one machine: the broker assembled from its Maven Central artifacts (infra/kafka/pom.xml),
single-node KRaft on loopback, its log on disk under the data folder.

The jars are copied once into .cache/kafka/<version>/ and reused, with an archive of the broker's
classes (ClassArchive); the log directory is formatted the first time and kept, so a restart finds its
topics, records and committed offsets.
"""

from __future__ import annotations

import base64
import logging
import os
import shutil
import signal
import subprocess
import uuid
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from infra.local.broker_process import BrokerFailed, LocalBroker, spawn_logged, terminate, wait_for_port
from shared.kafka import create_topics
from shared.settings import EmbeddedBrokerSettings, KafkaSettings

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
POM = REPO / "infra" / "kafka" / "pom.xml"
LOG_CONFIG = POM.with_name("log4j2.properties")
CACHE = REPO / ".cache" / "kafka"
MAVEN_NS = {"m": "http://maven.apache.org/POM/4.0.0"}

# Single node: every internal topic has one replica; small internal topics start faster.
SINGLE_NODE = {
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "4",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "transaction.state.log.num.partitions": "4",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    # As in docker-compose.yml: every topic comes from the registry (or faust's own declarations).
    "auto.create.topics.enable": "false",
    # One machine, one member: nothing gains from waiting for more members to join a new group.
    "group.initial.rebalance.delay.ms": "0",
}


def kafka_version() -> str:
    version = ElementTree.parse(POM).find("m:properties/m:kafka.version", MAVEN_NS)
    if version is None or not version.text:
        raise BrokerFailed(f"{POM} names no kafka.version")
    return version.text.strip()


def java_binary() -> str:
    home = os.environ.get("JAVA_HOME")
    found = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not found or not Path(found).exists():
        raise BrokerFailed("Apache Kafka needs Java 17 or newer (java not found on PATH or JAVA_HOME)")
    return found


def assemble() -> Path:
    """The folder of the broker's jars, copied from Maven Central the first time."""
    libs = CACHE / kafka_version() / "libs"
    if (libs / ".complete").exists():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerFailed("assembling Apache Kafka needs Maven (mvn not found on PATH)")
    staging = libs.with_name(f"libs.{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    command = [mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
               f"-DoutputDirectory={staging}", "-DincludeScope=runtime"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BrokerFailed(f"Maven could not fetch Apache Kafka {kafka_version()}: {done.stdout[-2000:]}")
    (staging / ".complete").touch()
    shutil.rmtree(libs, ignore_errors=True)
    staging.rename(libs)
    return libs


class ClassArchive:
    """The broker's classes, archived by the JVM (JDK 17 AppCDS) when the first broker on these jars
    stops cleanly; later JVMs map the archive instead of loading and verifying each class, which
    halves the broker's start (about 6.7 s to 3.5 s here) and the log format's. An archive that is
    stale or damaged only costs that time again: the JVM ignores it."""

    def __init__(self, libs: Path) -> None:
        self.path = libs / "broker-classes.jsa"
        self._pending: Path | None = None

    def use(self) -> list[str]:
        return [f"-XX:SharedArchiveFile={self.path}"] if self.path.exists() else []

    def use_or_record(self) -> list[str]:
        """Use the archive, or have this JVM write one at exit (to its own file: brokers may run side by side)."""
        if used := self.use():
            return used
        self._pending = self.path.with_name(f"{self.path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.jsa")
        return [f"-XX:ArchiveClassesAtExit={self._pending}"]

    def settle(self, *, exited_cleanly: bool) -> None:
        """Keep what a cleanly stopped JVM wrote; a killed one's file may be cut short."""
        if self._pending is None:
            return
        if exited_cleanly and self._pending.exists():
            os.replace(self._pending, self.path)
        else:
            self._pending.unlink(missing_ok=True)
        self._pending = None


def kafka_available() -> str | None:
    """None when Apache Kafka can run here, else why not (for a skip)."""
    try:
        java_binary()
        if not (CACHE / kafka_version() / "libs" / ".complete").exists() and shutil.which("mvn") is None:
            raise BrokerFailed("assembling Apache Kafka needs Maven (mvn not found on PATH)")
    except BrokerFailed as reason:
        return str(reason)
    return None


class KafkaBroker(LocalBroker):
    """Apache Kafka in KRaft mode (broker and controller in one process) with the registry's topics."""

    def __init__(
        self,
        kafka: KafkaSettings,
        embedded: EmbeddedBrokerSettings,
        data_dir: Path,
        overrides: dict[str, str] | None = None,
    ) -> None:
        self.kafka = kafka
        self.embedded = embedded
        self.host, port = kafka.bootstrap_servers.split(",")[0].rsplit(":", 1)
        self.port = int(port)
        self.home = data_dir / "kafka"
        self.data_dir = data_dir
        self.overrides = overrides or {}
        self._broker: subprocess.Popen | None = None
        self._classes: ClassArchive | None = None

    @property
    def log_dir(self) -> Path:
        return self.home / "log"

    def write_properties(self) -> Path:
        controller = self.embedded.kafka_controller_port
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{self.host}:{controller}",
            "listeners": f"PLAINTEXT://{self.host}:{self.port},CONTROLLER://{self.host}:{controller}",
            "advertised.listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.log_dir),
            **SINGLE_NODE,
            **self.overrides,
        }
        path = self.home / "server.properties"
        path.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
        return path

    def _java(self, libs: Path, main: str, *args: str, heap: str = "-Xmx1g", classes: list[str]) -> list[str]:
        return [java_binary(), heap, "-XX:+UseG1GC", *classes, f"-Dlog4j2.configurationFile={LOG_CONFIG}",
                "-cp", f"{libs}/*", main, *args]  # fmt: skip

    def format_log(self, libs: Path, properties: Path, cluster_id: str | None = None) -> None:
        """Format the log directory the first time, with a new cluster id unless one is given."""
        if (self.log_dir / "meta.properties").exists():
            return
        cluster_id = cluster_id or base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        # `--cluster-id=` in one word: an id may begin with "-", which would read as an option.
        classes = ClassArchive(libs).use()
        command = self._java(libs, "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}",
                             "--config", str(properties), heap="-Xmx256m", classes=classes)  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BrokerFailed(f"formatting the Kafka log directory failed: {(done.stdout + done.stderr)[-2000:]}")

    def start(self) -> None:
        self.start_broker()
        created = create_topics(self.kafka)
        log.info("Apache Kafka ready", extra={"address": f"{self.host}:{self.port}", "topics_created": created})

    def start_broker(self) -> None:
        """Start the broker on its existing log (formatted the first time); also used by failure drills."""
        libs = assemble()
        self.home.mkdir(parents=True, exist_ok=True)
        properties = self.write_properties()
        self.format_log(libs, properties)
        self._classes = ClassArchive(libs)
        command = self._java(libs, "kafka.Kafka", str(properties), classes=self._classes.use_or_record())
        self._broker = spawn_logged(self.data_dir, "kafka", command)
        wait_for_port(self.host, self.port, self.embedded.ready_timeout_s, self._broker)

    def stop_broker(self) -> None:
        broker, self._broker = self._broker, None
        terminate(broker)
        # The JVM exits 143 when SIGTERM has run its shutdown, archive included.
        self._settle_classes(exited_cleanly=broker is not None and broker.returncode in (0, 128 + signal.SIGTERM))

    def kill_broker(self) -> None:
        """kill -9, for the failure drills."""
        if self._broker is not None:
            self._broker.kill()
            self._broker.wait()
            self._broker = None
        self._settle_classes(exited_cleanly=False)

    def _settle_classes(self, *, exited_cleanly: bool) -> None:
        if self._classes is not None:
            self._classes.settle(exited_cleanly=exited_cleanly)

    def stop(self) -> None:
        self.stop_broker()
