"""Committed JSON Schema snapshots of every event, so contract changes show up in review.

`python -m shared.schema_snapshots` rewrites them after a deliberate change.
"""

from __future__ import annotations

import json
from pathlib import Path

from shared.topics import REGISTRY

SNAPSHOTS = Path(__file__).with_name("schemas")


def current() -> dict[str, str]:
    """File name -> schema text for each event type on a topic."""
    types = {topic.value_type for topic in REGISTRY}
    return {f"{t.__name__}.json": json.dumps(t.model_json_schema(), indent=2, sort_keys=True) + "\n" for t in types}


def write() -> None:
    SNAPSHOTS.mkdir(exist_ok=True)
    for name, text in current().items():
        (SNAPSHOTS / name).write_text(text)


if __name__ == "__main__":
    write()
