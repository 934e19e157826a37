"""Reading a running service's Prometheus metrics: for `ews run`'s status line, tests and benchmarks."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from infra.local.local_http import LOCAL


def read_metric(base_url: str, name: str, **labels: str) -> float:
    """Sum of a metric's samples whose labels include `labels`; 0 when the service does not answer."""
    try:
        text = LOCAL.get(f"{base_url}/metrics", timeout=2).text
    except httpx.HTTPError:
        return 0.0
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(key) == value for key, value in labels.items())
    )
