"""docker-compose.yml run without Docker: Apache Kafka, PostgreSQL and the four services as local
processes, each with exactly the command and environment compose gives it (the image's ENV, then
compose's, from a .env), service hostnames mapped to loopback, volumes to fresh folders, and the
services run as an unprivileged user as the image does (where the interpreter allows it). The
compose `topics` job creates the topics; operators' commands issue the keys. One term of marks must
become an alert, a case and a delivery to a relay that insists on STARTTLS and a login. This catches
what parsing the file cannot: a missing setting, an unwritable path, a service that cannot reach its
database."""

from __future__ import annotations

import datetime as dt
import os
import pwd
import re
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import uuid
import warnings
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest

from infra.local.kafka_broker import KafkaBroker
from infra.local.local_http import LOCAL
from infra.local.readiness import free_port, wait_until
from infra.local.scratch_postgres import SERVER
from shared.settings import KafkaSettings
from tests.integration.compose import ROOT, Compose
from tests.integration.conftest import broker_settings
from tests.integration.smtp_relay import PASSWORD, USER
from tests.integration.test_end_to_end import SCHOOL, autumn_term_marks

pytestmark = [pytest.mark.integration, pytest.mark.broker("kafka")]
SERVICES = ("ingest", "risk_engine", "referrals", "notifications")
LEAD = "attendance-lead@school.invalid"


@pytest.fixture
def compose_databases():
    """PostgreSQL as the compose file's postgres service leaves it: the `ews` role with the .env's
    password, and init.sql's databases (named apart for this run, and dropped after it)."""
    try:
        admin = psycopg.connect(SERVER, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL reachable at 127.0.0.1:5432 ({type(error).__name__}); run `make postgres`")
    password, run = secrets.token_hex(12), uuid.uuid4().hex[:8]
    if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = 'ews'").fetchone() is None:
        admin.execute("CREATE ROLE ews LOGIN")
    admin.execute(f"ALTER ROLE ews PASSWORD '{password}'")
    names = re.findall(r"CREATE DATABASE (\w+);", (ROOT / "infra/postgres/init.sql").read_text())
    for name in names:
        admin.execute(f"CREATE DATABASE compose_{run}_{name} OWNER ews")
    try:
        yield password, {f"@postgres:5432/{name}": f"@127.0.0.1:5432/compose_{run}_{name}" for name in names}
    finally:
        for name in names:
            admin.execute(f"DROP DATABASE compose_{run}_{name} WITH (FORCE)")
        admin.close()


def reachable_by_anyone(path: Path) -> bool:
    """Whether a user with no rights of its own could run this file (every folder on the way searchable)."""
    real = path.resolve()
    return all(folder.stat().st_mode & stat.S_IXOTH for folder in [real, *real.parents])


def unprivileged():
    """Run the services as `nobody` when the tests run as root, as the image runs as its own user; not
    possible where the interpreter lives in a folder only root may enter (pyenv under /root): then they
    run as root, and the test says so."""
    if os.geteuid() != 0:
        return None, None
    if not reachable_by_anyone(Path(sys.executable)):
        warnings.warn(f"compose smoke test ran as root: {sys.executable} is not reachable by other users", stacklevel=2)
        return None, None
    nobody = pwd.getpwnam("nobody")

    def drop() -> None:
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)

    return drop, nobody.pw_uid


def ports_in_use(ports: list[int]) -> list[int]:
    busy = []
    for port in ports:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                busy.append(port)
    return busy


class Processes:
    def __init__(self, compose: Compose, extra: dict[str, str], logs: Path, drop) -> None:
        self.compose, self.extra, self.logs, self.drop = compose, extra, logs, drop
        self.running: dict[str, subprocess.Popen] = {}

    def environment(self, service: str) -> dict[str, str]:
        return {**self.compose.environment(service), **self.extra}

    def command(self, service: str) -> list[str]:
        command = self.compose.command(service)
        assert command[0] == "python"
        return [sys.executable, *command[1:]]

    def run(self, service: str, *args: str) -> str:
        """A one-off command in a service's container (`docker compose run`/`exec`): its last line out."""
        done = subprocess.run(
            [*self.command(service)[:3], *args] if args else self.command(service),
            env=self.environment(service), cwd=ROOT, capture_output=True, text=True, preexec_fn=self.drop,
            timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"{service} {args}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
        return done.stdout.strip().splitlines()[-1]

    def start(self, service: str) -> None:
        with (self.logs / f"{service}.log").open("ab") as log:
            self.running[service] = subprocess.Popen(
                self.command(service), env=self.environment(service), cwd=ROOT,
                stdout=log, stderr=subprocess.STDOUT, preexec_fn=self.drop,
            )  # fmt: skip

        def healthy() -> bool:
            if self.running[service].poll() is not None:
                raise AssertionError(f"{service} exited:\n{(self.logs / f'{service}.log').read_text()[-4000:]}")
            try:
                return LOCAL.get(self.compose.health_url(service), timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, 120, f"{service}'s compose healthcheck")

    def stop_all(self) -> None:
        for process in self.running.values():
            process.terminate()
        for process in self.running.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def in_quiet_hours() -> bool:
    """The notifications default: nothing but critical events from 18:00 to 07:30, school time."""
    now = dt.datetime.now(ZoneInfo("Europe/London")).time()
    return now >= dt.time(18, 0) or now < dt.time(7, 30)


def test_the_compose_services_run_as_configured_and_take_a_mark_to_a_delivered_alert(
    compose_databases, relay, broker_engine
):
    busy = ports_in_use([8001, 8002, 8003, 8004])
    if busy:
        pytest.skip(f"compose's service ports {busy} are in use here (is `make run` running?)")
    password, database_hosts = compose_databases
    handler, relay_port, ca = relay
    drop, uid = unprivileged()
    data = Path(tempfile.mkdtemp(prefix="ews-compose-"))  # outside pytest's root-only temp folder
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}")
    broker = KafkaBroker(kafka, broker_settings("kafka"), data / "kafka")
    try:
        folders = {"/data": data / "image-data"}
        compose = Compose(
            dotenv={
                "POSTGRES_PASSWORD": password,
                "INGEST_PSEUDONYM_KEY": secrets.token_hex(32),
                "PUBLIC_URL": "https://ews.example.invalid",
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(relay_port),
                "SMTP_USERNAME": USER,
                "SMTP_PASSWORD": PASSWORD,
            },
            hosts={"kafka:9092": kafka.bootstrap_servers, **database_hosts},
            folders=folders,
        )
        for service in SERVICES:  # each named volume starts empty, owned by the image's user
            for mount in compose.volume_mounts(service):
                folders[mount] = data / "volumes" / service / mount.strip("/").replace("/", "-")
        shutil.copy(ca, data / "relay-ca.pem")
        for folder in [data / "image-data", *folders.values()]:
            folder.mkdir(parents=True, exist_ok=True)
        if uid is not None:
            for path in [data, *data.rglob("*")]:
                if "kafka" not in path.parts:
                    os.chown(path, uid, -1)
        # The relay's certificate authority, trusted as the container's CA store would trust a real relay's.
        extra = {"PATH": os.environ["PATH"], "HOME": "/nonexistent", "SSL_CERT_FILE": str(data / "relay-ca.pem")}
        processes = Processes(compose, extra, data, drop)

        broker.start_broker()
        processes.run("topics")
        for service in SERVICES:
            processes.start(service)
        connector = processes.run("ingest", "issue-key", "--name", "mis", "--school", SCHOOL)
        staff = processes.run(
            "referrals", "add-staff", "--name", "Lead", "--role", "school_staff", "--school-urn", SCHOOL
        )
        operator = processes.run("notifications", "issue-operator-token", "--name", "ops")
        recipient = ["--name", "Lead", "--role", "attendance_lead", "--channel", "email", "--address", LEAD]
        processes.run("notifications", "add-recipient", *recipient, "--school-urn", SCHOOL, "--timing", "immediate")

        rows = autumn_term_marks()
        with httpx.Client(headers={"Authorization": f"Bearer {connector}"}, timeout=30) as client:
            for start in range(0, len(rows), 500):
                assert client.post("http://127.0.0.1:8001/v1/marks", json=rows[start : start + 500]).status_code == 202

        def alerts() -> list[dict]:
            answer = LOCAL.get("http://127.0.0.1:8002/v1/alerts", headers={"Authorization": f"Bearer {staff}"})
            return answer.json()["items"]

        wait_until(lambda: any(alert["case_id"] for alert in alerts()), 120, "an alert joined to a case")

        def deliveries() -> list[dict]:
            log = LOCAL.get("http://127.0.0.1:8003/v1/deliveries", headers={"Authorization": f"Bearer {operator}"})
            return log.json()["items"]

        expected = "pending" if in_quiet_hours() else "sent"  # quiet hours hold it until 07:30
        wait_until(lambda: any(d["status"] == expected for d in deliveries()), 120, f"a delivery {expected}")
        if expected == "sent":
            wait_until(lambda: handler.messages, 30, "the email at the relay")
            assert f"To: {LEAD}".encode() in handler.messages[0]
    finally:
        if "processes" in locals():
            processes.stop_all()
        broker.stop_broker()
        shutil.rmtree(data, ignore_errors=True)
