"""Marks exported as CSV (header row, UTF-8, BOM tolerated) turned into the JSON rows' shape."""

from __future__ import annotations

import csv
import io
from collections import Counter

from shared.problems import DomainError

COLUMNS = ("school_urn", "upn", "date", "session", "code", "minutes_late", "recorded_at")
REQUIRED = frozenset(COLUMNS) - {"minutes_late"}


class CsvProblem(DomainError):
    """The file itself is unreadable: encoding, header or a line the parser refuses.
    Row-level problems are validation errors, listed like JSON rows'."""

    status = 422


def rows_from_csv(body: bytes) -> list[dict]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvProblem(
            f"the file is not UTF-8 (byte {error.start}: {body[error.start : error.start + 1]!r})"
        ) from error
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in reader.fieldnames or []]
        _check_header(header)
        reader.fieldnames = header
        return [_row(reader, record) for record in reader]
    except csv.Error as error:
        raise CsvProblem(f"line {reader.line_num + 1}: {error}") from error


def _check_header(header: list[str]) -> None:
    repeated = sorted(name for name, count in Counter(header).items() if count > 1)
    if repeated:
        raise CsvProblem(f"header row names column(s) more than once: {', '.join(repeated)}")
    missing = sorted(REQUIRED - set(header))
    if missing:
        raise CsvProblem(f"header row lacks column(s): {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    unknown = sorted(set(header) - set(COLUMNS))
    if unknown:
        raise CsvProblem(f"header row has unknown column(s): {', '.join(unknown)}")


def _row(reader: csv.DictReader, record: dict) -> dict:
    if None in record:
        raise CsvProblem(f"line {reader.line_num} has more fields than the header")
    row = {key: (value.strip() if value is not None else None) for key, value in record.items()}
    if not row.get("minutes_late"):
        row.pop("minutes_late", None)
    return row
