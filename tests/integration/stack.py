"""The real system for integration tests: embedded broker, the four services as processes, SMTP."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
from aiosmtpd.controller import Controller
from sqlmodel import Session

from infra.local.local_http import LOCAL
from infra.local.metrics import read_metric
from infra.local.processes import PORTS, service_commands, service_env
from infra.local.readiness import free_port, wait_until
from services.ingest.app import open_database as open_ingest
from services.ingest.keys import issue_key
from services.ingest.settings import KeyStoreSettings
from services.notifications.app import open_database as open_notifications
from services.notifications.directory import NewRecipient, add_recipient
from services.notifications.operators import issue_operator_token
from services.notifications.settings import Settings as NotificationsSettings
from services.referrals.app import open_database as open_referrals
from services.referrals.settings import Settings as ReferralsSettings
from services.referrals.staff import Role, add_staff

PORT_SETTINGS = {name: setting for name, (setting, _) in PORTS.items()}


class Inbox:
    """aiosmtpd handler that keeps every message it receives, and refuses the addresses in `refuse`."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope.content)
        return "250 OK"


class Stack:
    def __init__(self, data_dir: Path, bootstrap: str) -> None:
        self.data_dir = data_dir
        self.inbox = Inbox()
        self.smtp = Controller(self.inbox, hostname="127.0.0.1", port=free_port())
        self.ports = {name: free_port() for name in PORT_SETTINGS}
        self.env = {
            **os.environ,
            **service_env(data_dir, bootstrap, self.smtp.port),
            **{PORT_SETTINGS[name]: str(port) for name, port in self.ports.items()},
            "PYTHONUNBUFFERED": "1",  # a killed service's log keeps its last lines
        }
        self.processes: dict[str, subprocess.Popen] = {}

    def connector_key(self, name: str, schools: list[str]) -> str:
        engine = open_ingest(KeyStoreSettings(database_url=self.env["INGEST_DATABASE_URL"]))
        return issue_key(engine, name, schools)

    def staff_token(self, role: Role, school_urn: str | None) -> str:
        engine = open_referrals(ReferralsSettings(database_url=self.env["REFERRALS_DATABASE_URL"]))
        return add_staff(engine, f"{role} {school_urn}", role, school_urn)

    def recipient(self, name: str, role: str, address: str, school_urn: str | None = None, **fields) -> int:
        """Someone in the notifications directory, by email to the test's mail server."""
        engine = open_notifications(NotificationsSettings(database_url=self.env["NOTIFICATIONS_DATABASE_URL"]))
        entry = NewRecipient(name=name, role=role, school_urn=school_urn, channel="email", address=address, **fields)
        with Session(engine) as session:
            return add_recipient(session, entry).id

    def deliveries(self) -> list[dict]:
        """The whole delivery log, as the operations role reads it."""
        if not hasattr(self, "_operator"):
            engine = open_notifications(NotificationsSettings(database_url=self.env["NOTIFICATIONS_DATABASE_URL"]))
            self._operator = {"Authorization": f"Bearer {issue_operator_token(engine, 'test operator')}"}
        rows, url = [], f"{self.url('notifications')}/v1/deliveries?limit=500"
        while url:
            page = LOCAL.get(url, headers=self._operator, timeout=5).json()
            rows += page["items"]
            url = page["next"] and f"{self.url('notifications')}{page['next']}"
        return rows

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self, *names: str) -> None:
        commands = service_commands()
        for name in names or tuple(commands):
            self._spawn(name, commands[name], self.env)
        for name in names or tuple(commands):
            wait_until(lambda n=name: self.healthy(n), 60, f"{name} to be healthy")

    def start_second_risk_engine(self, name: str = "risk_engine_2") -> None:
        """Another risk-engine worker in the same group, with its own port and table files."""
        self.ports[name] = free_port()
        env = {**self.env, "RISK_ENGINE_PORT": str(self.ports[name]),
               "RISK_ENGINE_DATA_DIR": str(self.data_dir.resolve() / name)}  # fmt: skip
        self._spawn(name, service_commands()["risk_engine"], env)
        wait_until(lambda: self.healthy(name), 60, f"{name} to be healthy")

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        log = (self.data_dir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=Path(__file__).parents[2]
        )

    def healthy(self, service: str) -> bool:
        if self.processes[service].poll() is not None:
            raise AssertionError(f"{service} exited:\n{self.log(service)}")
        try:
            return LOCAL.get(f"{self.url(service)}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def health(self, service: str) -> dict:
        return LOCAL.get(f"{self.url(service)}/health", timeout=5).json()

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name)
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def metric(self, service: str, name: str, **labels: str) -> float:
        """Sum of a metric's samples whose labels include `labels`."""
        return read_metric(self.url(service), name, **labels)

    def log(self, service: str) -> str:
        path = self.data_dir / f"{service}.log"
        return path.read_text(errors="replace")[-6000:] if path.exists() else ""

    def __enter__(self) -> Stack:
        self.smtp.start()
        return self

    def __exit__(self, *_exc) -> None:
        for name in list(self.processes):
            self.stop(name)
        self.smtp.stop()
