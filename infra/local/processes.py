"""The local process table: what `ews run` supervises, and what the end-to-end tests start."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path


def service_env(data_dir: Path, bootstrap: str, smtp_port: int = 8025) -> dict[str, str]:
    """Environment for the four services on embedded defaults, with data under `data_dir`."""
    data_dir = data_dir.resolve()
    return {
        "PYTHONUNBUFFERED": "1",
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "INGEST_PSEUDONYM_KEY": pseudonym_key(data_dir),
        "INGEST_DATABASE_URL": f"sqlite:///{data_dir / 'ingest.db'}",
        "REFERRALS_DATABASE_URL": f"sqlite:///{data_dir / 'referrals.db'}",
        "REFERRALS_COOKIE_SECURE": "false",  # local HTTP on loopback; production serves the pages over TLS
        "NOTIFICATIONS_DATABASE_URL": f"sqlite:///{data_dir / 'notifications.db'}",
        "NOTIFICATIONS_SMTP_PORT": str(smtp_port),
        # A synthetic school day passes in seconds, so wall-clock quiet hours and weekends mean
        # nothing here: messages go when due. Production keeps both (the settings' defaults).
        "NOTIFICATIONS_QUIET_HOURS": "00:00-00:00",
        "NOTIFICATIONS_RESPECT_SCHOOL_DAYS": "false",
        "RISK_ENGINE_DATA_DIR": str(data_dir / "risk_engine"),
    }


def pseudonym_key(data_dir: Path) -> str:
    """A key made on first run and kept in the data folder, never in the repository."""
    path = data_dir / "pseudonym.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


# Each service's port setting and its default.
PORTS = {
    "ingest": ("INGEST_PORT", "8001"),
    "referrals": ("REFERRALS_PORT", "8002"),
    "notifications": ("NOTIFICATIONS_PORT", "8003"),
    "risk_engine": ("RISK_ENGINE_PORT", "8004"),
}


def service_commands() -> dict[str, list[str]]:
    python = sys.executable
    return {
        "ingest": [python, "-m", "services.ingest", "serve"],
        "risk_engine": [python, "-m", "services.risk_engine"],
        "referrals": [python, "-m", "services.referrals", "serve"],
        "notifications": [python, "-m", "services.notifications", "serve"],
    }


def mailbox_command(data_dir: Path, port: int) -> list[str]:
    """A local SMTP server (aiosmtpd) that stores every message in a Maildir."""
    return [
        sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
        "-c", "aiosmtpd.handlers.Mailbox", str((data_dir / "mail").resolve()),
    ]  # fmt: skip
