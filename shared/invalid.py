"""Pydantic's validation errors in words, said one way everywhere they leave a program: a dead
letter's reason, a command-line refusal. Each problem reads "where: what" (where is the field's
path, e.g. "decline_windows_school_days.1"), so the reader knows which field to mend.

The refused values are not repeated (pydantic keeps them apart from its messages): in an event they
may be a pupil's. A validator's own message should not quote them either."""

from __future__ import annotations

from pydantic import ValidationError


def _in_words(problem: dict) -> str:
    where, what = ".".join(map(str, problem["loc"])), problem["msg"].removeprefix("Value error, ")
    return f"{where}: {what}" if where else what


def every_problem(error: ValidationError) -> str:
    """Every problem, e.g. "year_group: Input should be a valid integer; needs a school"."""
    return "; ".join(_in_words(problem) for problem in error.errors())


def first_problem(error: ValidationError) -> str:
    """The first problem, and how many more there are: short enough for a dead letter's reason."""
    problems = error.errors()
    more = len(problems) - 1
    return _in_words(problems[0]) + (f" (and {more} more)" if more else "")
