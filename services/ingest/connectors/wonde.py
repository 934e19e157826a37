"""Pull a school's session attendance from a Wonde-shaped API and map it to ingest rows.

Shape followed (Wonde API v1.0): GET /v1.0/schools/{school}/attendance/session with
`include=student,attendance_code`, `updated_after`, `page`, `per_page`; the answer has
`data` (records with `session`, `date.date`, `student.data.upn`,
`attendance_code.data.code`, `updated_at.date` in the school's timezone) and
`meta.pagination.more`.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from shared.codes import current_table

CODE_TABLE_PATH = Path(__file__).with_name("mis_codes.toml")


class MappingProblem(ValueError):
    """A record that cannot become a mark; the message names the record, field and value."""


@cache
def sub_codes() -> dict[str, str]:
    return dict(tomllib.loads(CODE_TABLE_PATH.read_text())["sub_codes"])


def statutory_code(code: str) -> str | None:
    if code in current_table().codes:
        return code
    return sub_codes().get(code)


def _wonde_time(value: dict, field: str, record_id: str) -> dt.datetime:
    try:
        naive = dt.datetime.strptime(value["date"][:19], "%Y-%m-%d %H:%M:%S")
        return naive.replace(tzinfo=ZoneInfo(value.get("timezone") or "Europe/London"))
    except (KeyError, TypeError, ValueError) as error:
        raise MappingProblem(f"record {record_id}: {field} {value!r} is not a Wonde date") from error


def to_mark(record: dict, school_urn: str) -> dict:
    record_id = str(record.get("id", "?"))
    try:
        code = record["attendance_code"]["data"]["code"]
        upn = record["student"]["data"]["upn"]
    except (KeyError, TypeError) as error:
        raise MappingProblem(
            f"record {record_id}: missing {error} (request include=student,attendance_code)"
        ) from error
    mapped = statutory_code(code)
    if mapped is None:
        raise MappingProblem(
            f"record {record_id}: attendance_code {code!r} has no statutory mapping in {CODE_TABLE_PATH.name}"
        )
    return {
        "school_urn": school_urn,
        "upn": upn,
        "date": _wonde_time(record["date"], "date", record_id).date().isoformat(),
        "session": record.get("session"),
        "code": mapped,
        "recorded_at": _wonde_time(record["updated_at"], "updated_at", record_id).astimezone(dt.UTC).isoformat(),
    }


@dataclass
class Cursor:
    """Where a school's pull got to: the filter in use, the next page, the newest change seen."""

    updated_after: str | None = None
    next_page: int = 1
    newest_seen: str | None = None


class CursorStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, school_id: str) -> Cursor:
        if not self.path.exists():
            return Cursor()
        return Cursor(**json.loads(self.path.read_text()).get(school_id, {}))

    def save(self, school_id: str, cursor: Cursor) -> None:
        state = json.loads(self.path.read_text()) if self.path.exists() else {}
        state[school_id] = cursor.__dict__
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, indent=2))
        temporary.replace(self.path)  # atomic, so a crash never leaves half a file


def pages(
    client: httpx.Client, school_id: str, cursor: Cursor, per_page: int
) -> Iterator[tuple[int, list[dict], bool]]:
    """(page number, records, more) from the cursor's page on."""
    page = cursor.next_page
    while True:
        params = {"include": "student,attendance_code", "page": page, "per_page": per_page}
        if cursor.updated_after:
            params["updated_after"] = cursor.updated_after
        response = client.get(f"/v1.0/schools/{school_id}/attendance/session", params=params)
        response.raise_for_status()
        body = response.json()
        more = bool(body["meta"]["pagination"]["more"])
        yield page, body["data"], more
        if not more:
            return
        page += 1
