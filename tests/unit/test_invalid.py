"""Validation errors in words (shared/invalid.py): where and what, never the refused value."""

import pytest
from pydantic import BaseModel, ValidationError, model_validator

from shared.invalid import every_problem, first_problem


class Window(BaseModel):
    days: list[int]
    school_urn: str

    @model_validator(mode="after")
    def _some_days(self) -> "Window":
        if not self.days:
            raise ValueError("needs at least one day")
        return self


def refusal(**fields) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        Window(**fields)
    return refused.value


def test_each_problem_says_where_and_what_and_never_the_value():
    error = refusal(days=[30, "six", "UPN-A123"], school_urn=None)
    assert every_problem(error) == (
        "days.1: Input should be a valid integer, unable to parse string as an integer; "
        "days.2: Input should be a valid integer, unable to parse string as an integer; "
        "school_urn: Input should be a valid string"
    )
    assert "six" not in every_problem(error) and "UPN-A123" not in every_problem(error)
    assert (
        first_problem(error)
        == "days.1: Input should be a valid integer, unable to parse string as an integer (and 2 more)"
    )


def test_a_problem_of_the_whole_says_what_alone_without_pydantics_prefix():
    error = refusal(days=[], school_urn="100001")
    assert every_problem(error) == first_problem(error) == "needs at least one day"
