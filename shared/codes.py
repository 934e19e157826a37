"""The register-code table, loaded from versioned data (register_codes.toml)."""

from __future__ import annotations

import enum
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TABLE_PATH = Path(__file__).with_name("register_codes.toml")


class Category(enum.StrEnum):
    PRESENT = "present"
    APPROVED_ACTIVITY = "approved_activity"
    AUTHORISED = "authorised"
    UNAUTHORISED = "unauthorised"
    NOT_POSSIBLE = "not_possible"

    @property
    def counts_as_possible(self) -> bool:
        return self is not Category.NOT_POSSIBLE

    @property
    def attended(self) -> bool:
        return self in (Category.PRESENT, Category.APPROVED_ACTIVITY)

    @property
    def absent(self) -> bool:
        return self in (Category.AUTHORISED, Category.UNAUTHORISED)


@dataclass(frozen=True, slots=True)
class RegisterCode:
    code: str
    category: Category
    description: str


class UnknownCode(ValueError):
    """A code that is not in the table; the message says why and what to send instead."""


@dataclass(frozen=True, eq=False)  # identity equality and hashing: one table per version, cacheable
class CodeTable:
    version: str
    codes: dict[str, RegisterCode]
    retired: dict[str, str]

    def lookup(self, code: str) -> RegisterCode:
        if code in self.codes:
            return self.codes[code]
        if code in self.retired:
            raise UnknownCode(f"retired code {code!r}: {self.retired[code]}")
        raise UnknownCode(f"{code!r} is not a register code in the {self.version} table")

    def category(self, code: str) -> Category:
        return self.lookup(code).category


def load_table(path: Path = TABLE_PATH) -> CodeTable:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    codes = {
        code: RegisterCode(code, Category(entry["category"]), entry["description"])
        for code, entry in raw["codes"].items()
    }
    return CodeTable(version=raw["version"], codes=codes, retired=dict(raw["retired"]))


@cache
def current_table() -> CodeTable:
    return load_table()
