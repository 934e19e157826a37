"""Marks exported as CSV (header row, UTF-8, BOM tolerated) turned into the JSON rows' shape."""

from __future__ import annotations

import csv
import io

COLUMNS = ("school_urn", "upn", "date", "session", "code", "minutes_late", "recorded_at")
REQUIRED = frozenset(COLUMNS) - {"minutes_late"}


class CsvProblem(ValueError):
    """The file itself is unreadable: encoding or header. Row-level problems are validation errors."""


def rows_from_csv(body: bytes) -> list[dict]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvProblem(
            f"the file is not UTF-8 (byte {error.start}: {body[error.start : error.start + 1]!r})"
        ) from error
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = sorted(REQUIRED - set(header))
    if missing:
        raise CsvProblem(f"header row lacks column(s): {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    unknown = sorted(set(header) - set(COLUMNS))
    if unknown:
        raise CsvProblem(f"header row has unknown column(s): {', '.join(unknown)}")
    reader.fieldnames = header
    rows = []
    for record in reader:
        if None in record:
            raise CsvProblem(f"line {reader.line_num} has more fields than the header")
        row = {key: (value.strip() if value is not None else None) for key, value in record.items()}
        if not row.get("minutes_late"):
            row.pop("minutes_late", None)
        rows.append(row)
    return rows
