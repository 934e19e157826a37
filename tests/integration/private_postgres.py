"""A PostgreSQL server of the test's own (Debian's binaries, a new cluster in a scratch folder, its own
port), so a test can kill -9 it and start it again without touching the shared one."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from infra.local.readiness import free_port, wait_until

BINARIES = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


def unavailable() -> str | None:
    """None when a private server can run here, else why not (for a skip)."""
    if not BINARIES:
        return "Debian's postgresql is not installed (make postgres)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "no postgres user to run the server as"
    return None


class PrivatePostgres:
    def __init__(self, databases: tuple[str, ...]) -> None:
        self.bin = BINARIES[-1]
        self.port = free_port()
        self.databases = databases
        self.folder = Path(tempfile.mkdtemp(prefix="ews-postgres-"))  # the postgres user must reach it
        self._server: subprocess.Popen | None = None
        self._user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self._user is not None:
            os.chown(self.folder, self._user.pw_uid, self._user.pw_gid)

    def _as_owner(self) -> None:
        if self._user is not None:
            os.setgroups([])
            os.setgid(self._user.pw_gid)
            os.setuid(self._user.pw_uid)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        data = self.folder / "data"
        if not data.exists():
            subprocess.run(
                [str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                preexec_fn=self._as_owner, check=True, capture_output=True,
            )  # fmt: skip
        with (self.folder / "server.log").open("ab") as log:
            self._server = subprocess.Popen(
                [str(self.bin / "postgres"), "-D", str(data), "-p", str(self.port), "-k", str(self.folder),
                 "-c", "listen_addresses=127.0.0.1"],
                preexec_fn=self._as_owner, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_until(self._accepts, 60, "the private PostgreSQL to accept connections")

    def _accepts(self) -> bool:
        if self._server is not None and self._server.poll() is not None:
            raise AssertionError(f"PostgreSQL exited:\n{(self.folder / 'server.log').read_text()[-3000:]}")
        try:
            with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False

    def create_databases(self) -> None:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as admin:
            for name in self.databases:
                admin.execute(f"CREATE DATABASE {name}")

    def restart(self) -> None:
        """Start again after a kill: a backend still holding the old shared memory makes the first tries
        exit at once, so try for a while."""
        for _ in range(20):
            try:
                self.start()
                return
            except AssertionError:
                time.sleep(1)
        self.start()

    def kill(self) -> None:
        """kill -9 the postmaster; its backends notice and exit, and the next start recovers from the WAL."""
        if self._server is not None:
            self._server.send_signal(signal.SIGKILL)
            self._server.wait()
            self._server = None

    def stop(self) -> None:
        if self._server is not None:
            self._server.terminate()
            try:
                self._server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._server.kill()
                self._server.wait()
            self._server = None
        shutil.rmtree(self.folder, ignore_errors=True)
