"""Text a person typed: refuse the characters that break storage, logs or what a reader sees.

NUL cannot be stored in PostgreSQL text; other C0/C1 controls and the bidirectional overrides
and isolates can make a name display as something else. A tab is harmless and allowed.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

_FORBIDDEN = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def control_character_problem(value: str) -> str | None:
    found = _FORBIDDEN.search(value)
    if found is None:
        return None
    return f"contains the control character U+{ord(found.group()):04X} at position {found.start()}"


def _refuse_controls(value: str) -> str:
    problem = control_character_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def safe_text(max_length: int, min_length: int = 1) -> type[str]:
    """A str field for text people type: trimmed, bounded, no control or bidi-override characters."""
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length, strip_whitespace=True),
        AfterValidator(_refuse_controls),
    ]
