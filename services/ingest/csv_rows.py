"""Rows exported as CSV (header row, UTF-8, BOM tolerated) turned into the JSON rows' shape."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass

from shared.problems import DomainError


@dataclass(frozen=True)
class CsvLayout:
    """The columns a file may have; an optional column's empty cell is left out of the row."""

    columns: tuple[str, ...]
    optional: frozenset[str] = frozenset()

    @property
    def required(self) -> frozenset[str]:
        return frozenset(self.columns) - self.optional


MARKS = CsvLayout(
    ("school_urn", "upn", "date", "session", "code", "minutes_late", "recorded_at"), frozenset({"minutes_late"})
)
ACTIVITIES = CsvLayout(
    ("activity_id", "name", "kind", "provider_id", "school_urn", "area_code"),
    frozenset({"provider_id", "school_urn", "area_code"}),
)
ACTIVITY_ATTENDANCE = CsvLayout(("activity_id", "school_urn", "upn", "date", "attended", "recorded_at"))


class CsvProblem(DomainError):
    """The file itself is unreadable: encoding, header or a line the parser refuses.
    Row-level problems are validation errors, listed like JSON rows'."""

    status = 422


def rows_from_csv(body: bytes, layout: CsvLayout) -> list[dict]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvProblem(
            f"the file is not UTF-8 (byte {error.start}: {body[error.start : error.start + 1]!r})"
        ) from error
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in reader.fieldnames or []]
        _check_header(header, layout)
        reader.fieldnames = header
        return [_row(reader, record, layout) for record in reader]
    except csv.Error as error:
        raise CsvProblem(f"line {reader.line_num + 1}: {error}") from error


def _check_header(header: list[str], layout: CsvLayout) -> None:
    repeated = sorted(name for name, count in Counter(header).items() if count > 1)
    if repeated:
        raise CsvProblem(f"header row names column(s) more than once: {', '.join(repeated)}")
    missing = sorted(layout.required - set(header))
    if missing:
        raise CsvProblem(f"header row lacks column(s): {', '.join(missing)}; expected {', '.join(layout.columns)}")
    unknown = sorted(set(header) - set(layout.columns))
    if unknown:
        raise CsvProblem(f"header row has unknown column(s): {', '.join(unknown)}")


def _row(reader: csv.DictReader, record: dict, layout: CsvLayout) -> dict:
    if None in record:
        raise CsvProblem(f"line {reader.line_num} has more fields than the header")
    row = {key: (value.strip() if value is not None else None) for key, value in record.items()}
    return {key: value for key, value in row.items() if value or key not in layout.optional}
