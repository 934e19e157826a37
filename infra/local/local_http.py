"""One HTTP client for the benchmarks and tests to call the local services with (health, metrics,
the APIs they read back).

`httpx.get` builds a client, and with it an SSL context, on every call: 65 ms of CPU a call on these
machines. The benchmarks poll a worker's /metrics up to ten times a second, so their polling took up
to two thirds of one of the two cores from the processes they measure; a client kept open costs 3 ms
a call. httpx's client is safe to share between threads; its pool drops a connection a restarted
service closed."""

from __future__ import annotations

import httpx

LOCAL = httpx.Client(trust_env=False)  # never a proxy for loopback
