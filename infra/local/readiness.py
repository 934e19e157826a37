"""Waiting for local processes: a free port to give one, and polling until it is ready."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST_PORT = 20_000


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port nothing listens on, from below the kernel's ephemeral range: a port the kernel hands
    out (bind to 0) is in that range, where any outgoing connection may take it before the process
    it was chosen for binds it (a test stack lost a service that way). Never the same port twice in
    one process: a stack chooses all its ports before its services bind them, so a port chosen
    earlier is still free and could be chosen again (a referrals then found its port taken)."""
    below = _ephemeral_low()
    for _ in range(200):
        port = random.randrange(LOWEST_PORT, below)
        if port in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError(f"no free port between {LOWEST_PORT} and {below}")


@cache  # the kernel's range does not change under a test run; read it once
def _ephemeral_low() -> int:
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768  # Linux's default


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.25) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
