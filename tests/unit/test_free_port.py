"""Ports for local processes come from below the kernel's ephemeral range, where no outgoing
connection can take one between choosing it and the process binding it."""

import socket

from infra.local.readiness import LOWEST_PORT, _ephemeral_low, free_port


def test_free_ports_are_below_the_ephemeral_range_and_bindable():
    below = _ephemeral_low()
    for _ in range(50):
        port = free_port()
        assert LOWEST_PORT <= port < below
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_is_never_handed_out_twice_even_before_it_is_bound(monkeypatch):
    chosen = free_port()
    draws = iter([chosen, chosen + 1 if chosen + 1 < _ephemeral_low() else chosen - 1])
    monkeypatch.setattr("infra.local.readiness.random.randrange", lambda low, high: next(draws))
    assert free_port() != chosen  # nothing has bound `chosen` yet, so only memory can refuse it
