"""Unique Pupil Numbers (DfE): 13 characters, a check letter then 12 characters.

The check letter is the remainder of sum(value(char_i) * i) for positions 2-13,
divided by 23, mapped onto the 23-letter alphabet below (no I, O or S). Characters
2-12 are digits; character 13 is a digit, or a letter in a temporary UPN.
"""

from __future__ import annotations

import re
import unicodedata

CHECK_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
_SHAPE = re.compile(rf"^[{CHECK_ALPHABET}][0-9]{{11}}[0-9{CHECK_ALPHABET}]$")


def _value(char: str) -> int:
    return int(char) if char.isdigit() else CHECK_ALPHABET.index(char)


def check_letter(body: str) -> str:
    """The check letter for the 12 characters after it."""
    total = sum(_value(char) * weight for weight, char in enumerate(body, start=2))
    return CHECK_ALPHABET[total % 23]


def normalise_upn(upn: str) -> str:
    """One spelling per child: trimmed, upper case, any script's decimal digits as ASCII digits.

    Without this, the same UPN typed with Arabic-Indic digits hashed to a second pupil id.
    """
    return "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in upn.strip().upper())


def upn_problem(upn: str) -> str | None:
    """Why `upn` (already normalised) is not a valid UPN, or None when it is."""
    if len(upn) != 13:
        return f"a UPN has 13 characters, this has {len(upn)}"
    if not _SHAPE.match(upn):
        return "a UPN is a check letter, 11 digits, then a digit or letter (no I, O or S)"
    expected = check_letter(upn[1:])
    if upn[0] != expected:
        return f"check letter is {upn[0]!r} but the digits give {expected!r}"
    return None


def make_upn(la_code: int, establishment: int, year: int, serial: int) -> str:
    """A UPN with a correct check letter, as an MIS would allocate it."""
    body = f"{la_code:03d}{establishment:04d}{year % 100:02d}{serial:03d}"
    return check_letter(body) + body
